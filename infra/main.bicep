// Batch endpoints on Azure Functions: everything `azd up` provisions. Modules follow Microsoft's
// azd templates: infra/core/* are generic resources, infra/app/* are this app's wiring.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the resource token.')
param environmentName string

@minLength(1)
@description('Azure region of every resource (one where Flex Consumption is offered).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying user or service principal: gets the data roles and BatchEndpoints.Manage. Empty to grant nothing.')
param principalId string = ''

@description('Type of the deploying principal.')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@description('Durable Functions back end: azureStorage (the host storage account) or durableTaskScheduler (managed, higher throughput).')
@allowed(['azureStorage', 'durableTaskScheduler'])
param durableBackend string = 'azureStorage'

@description('Durable Task Scheduler SKU, when that back end is chosen.')
@allowed(['Consumption', 'Dedicated'])
param durableTaskSchedulerSku string = 'Consumption'

@description('Most instances the function app scales out to (Flex Consumption: 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Node.js version of the function app.')
@allowed(['20', '22'])
param nodeVersion string = '20'

@description('Scoring worker threads per deployment (SCORING_MAX_WORKERS); empty keeps the app default, one per core.')
param scoringMaxWorkers string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-api-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var useScheduler = durableBackend == 'durableTaskScheduler'
// The task hub is named once, in host.json; the scheduler's task hub takes the same name.
var taskHubName = loadJsonContent('../host.json').extensions.durableTask.hubName

// Tables and containers the app uses, at the app's default names (README "App settings").
var dataNames = {
  registryTable: 'registry'
  jobsTable: 'jobs'
  miniBatchesTable: 'minibatches'
  workspaceContainer: 'workspaceblobstore'
  jobPlansContainer: 'batch-job-plans'
  // Blob drops (design.md): files land in the inbox, results go to the outbox.
  inboxContainer: 'batch-inbox'
  outboxContainer: 'batch-outbox'
}
var inboxContainer = dataNames.inboxContainer
var outboxContainer = dataNames.outboxContainer

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containers: [
      deploymentContainerName
      dataNames.workspaceContainer
      dataNames.jobPlansContainer
      inboxContainer
      outboxContainer
    ]
    tables: [
      dataNames.registryTable
      dataNames.jobsTable
      dataNames.miniBatchesTable
    ]
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'core/host/flex-consumption-plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    location: location
    tags: tags
  }
}

module scheduler 'core/durable/durable-task-scheduler.bicep' = if (useScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    taskHubName: taskHubName
    skuName: durableTaskSchedulerSku
  }
}

module entraApi 'app/entra-api.bicep' = {
  name: 'entra-api'
  scope: rg
  params: {
    uniqueName: 'batch-endpoints-${resourceToken}'
    displayName: 'Batch endpoints (${environmentName})'
    deployerPrincipalId: principalId
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.id
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    authIssuers: entraApi.outputs.issuers
    authAudiences: entraApi.outputs.audiences
    durableBackend: durableBackend
    durableTaskSchedulerEndpoint: useScheduler ? scheduler!.outputs.endpoint : ''
    dataNames: dataNames
    scoringMaxWorkers: scoringMaxWorkers
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    durableTaskSchedulerName: useScheduler ? scheduler!.outputs.name : ''
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module blobEvents 'core/events/storage-system-topic.bicep' = {
  name: 'blob-events'
  scope: rg
  params: {
    name: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

// azd stores these in the environment (.azure/<env>/.env); hooks and the README use them.
// Names and URLs only: no key, secret or connection string.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output API_APP_ID string = entraApi.outputs.appId
output API_APP_ID_URI string = entraApi.outputs.identifierUri
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? scheduler!.outputs.endpoint : ''
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output BLOB_DROP_SYSTEM_TOPIC_NAME string = blobEvents.outputs.name
output BLOB_DROP_INBOX_CONTAINER string = inboxContainer
output BLOB_DROP_OUTBOX_CONTAINER string = outboxContainer
