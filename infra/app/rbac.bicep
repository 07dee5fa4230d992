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

var withDeployer = !empty(deployerPrincipalId)
var withScheduler = !empty(durableTaskSchedulerName)
var roleDefinition = 'Microsoft.Authorization/roleDefinitions'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' existing = if (withScheduler) {
  name: durableTaskSchedulerName
}

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in storageRoles: {
  name: guid(storage.id, appPrincipalId, role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId(roleDefinition, role)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource deployerStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in (withDeployer ? storageRoles : []): {
  name: guid(storage.id, deployerPrincipalId, role)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId(roleDefinition, role)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}]

resource appMonitoringRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(roleDefinition, roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerMonitoringRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withDeployer) {
  name: guid(applicationInsights.id, deployerPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId(roleDefinition, roles.monitoringMetricsPublisher)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

resource appSchedulerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withScheduler) {
  name: guid(scheduler.id, appPrincipalId, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId(roleDefinition, roles.durableTaskDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The deploying user also gets the scheduler's dashboard (same data role).
resource deployerSchedulerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (withScheduler && withDeployer) {
  name: guid(scheduler.id, deployerPrincipalId, roles.durableTaskDataContributor)
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId(roleDefinition, roles.durableTaskDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}
