// Data roles for the app's identity and the deploying user, by built-in role definition id
// (ids: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
// test/infra/bicepRules.test.ts checks each id against the documented role name.

@description('Name of the storage account.')
param storageAccountName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the Durable Task Scheduler; empty when the Azure Storage back end is used.')
param durableTaskSchedulerName string = ''

@description('Principal id of the app\'s user-assigned identity.')
param appPrincipalId string

@description('Object id of the deploying user or service principal; empty to grant nothing.')
param deployerPrincipalId string = ''

@description('Type of the deploying principal.')
@allowed(['User', 'ServicePrincipal', 'Group'])
param deployerPrincipalType string = 'User'

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402' // Durable Task Data Contributor
}

// Blob Data Owner (not Contributor): the Functions host manages blob leases and containers, and
// Flex deployment reads the package. Queues: Azure Storage task hub and host queues. Tables:
// task hub history and the app's registry/jobs/minibatches tables.
var storageRoles = [roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor]

var app = { id: appPrincipalId, type: 'ServicePrincipal' }
var principals = empty(deployerPrincipalId) ? [app] : [app, { id: deployerPrincipalId, type: deployerPrincipalType }]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (!empty(durableTaskSchedulerName)) {
  name: durableTaskSchedulerName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for pair in flatten(map(principals, p => map(storageRoles, r => { principal: p, role: r }))): {
  name: guid(storage.id, pair.principal.id, pair.role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', pair.role)
    principalId: pair.principal.id
    principalType: pair.principal.type
  }
}]

resource monitoringAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principal in principals: {
  name: guid(applicationInsights.id, principal.id, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principal.id
    principalType: principal.type
  }
}]

resource schedulerAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principal in (empty(durableTaskSchedulerName) ? [] : principals): {
  name: guid(scheduler.id, principal.id, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.durableTaskDataContributor)
    principalId: principal.id
    principalType: principal.type
  }
}]
