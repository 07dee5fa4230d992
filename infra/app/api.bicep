// The batch endpoints function app and every app setting it gets. Each setting here is read by
// the app (app settings table in the README) or by the Functions host; nothing else is set.
// test/infra/appSettings.test.ts checks both directions.

@description('Name of the function app.')
param name string

@description('Azure region of the function app.')
param location string

@description('Tags applied to the function app.')
param tags object = {}

@description('Resource id of the Flex Consumption plan.')
param planId string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (identity-based connections name it).')
param identityClientId string

@description('Name of the storage account for host storage, the task hub and the app\'s data.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Node.js version of the Flex Consumption runtime.')
param nodeVersion string

@description('Most instances the app scales out to.')
param maximumInstanceCount int

@description('Memory per instance in MB.')
param instanceMemoryMB int

@description('Accepted token issuers, comma-separated (AUTH_ISSUERS).')
param authIssuers string

@description('Accepted token audiences, comma-separated (AUTH_AUDIENCES).')
param authAudiences string

@description('Durable back end: azureStorage (host storage) or durableTaskScheduler.')
@allowed(['azureStorage', 'durableTaskScheduler'])
param durableBackend string

@description('Durable Task Scheduler endpoint (https://...durabletask.io); empty with azureStorage.')
param durableTaskSchedulerEndpoint string = ''

@description('Names of the app\'s tables and containers: registryTable, jobsTable, miniBatchesTable, workspaceContainer, jobPlansContainer.')
param dataNames object

@description('Scoring worker threads per deployment (SCORING_MAX_WORKERS); empty keeps the app default, one per core.')
param scoringMaxWorkers string = ''

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var blobServiceUri = 'https://${storage.name}.blob.${environment().suffixes.storage}'

// Host storage, the Azure Storage task hub and the app's data share one identity-based connection:
// the host reads AzureWebJobsStorage__*, and so does the app (lib/storage/clients.ts).
var storageSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobServiceUri
  AzureWebJobsStorage__queueServiceUri: 'https://${storage.name}.queue.${environment().suffixes.storage}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storage.name}.table.${environment().suffixes.storage}'
}

// Telemetry with the app's identity (local auth is off on the component).
var monitoringSettings = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var authSettings = {
  AUTH_ISSUERS: authIssuers
  AUTH_AUDIENCES: authAudiences
  AUTH_CLOCK_SKEW_SECONDS: '300'
}

// Names shared with the storage module, which creates these tables and containers.
var dataSettings = {
  REGISTRY_TABLE: dataNames.registryTable
  JOBS_TABLE: dataNames.jobsTable
  MINIBATCHES_TABLE: dataNames.miniBatchesTable
  WORKSPACE_BLOB_CONTAINER: dataNames.workspaceContainer
  JOB_PLANS_CONTAINER: dataNames.jobPlansContainer
  BLOB_DROP_INBOX_CONTAINER: dataNames.inboxContainer
  BLOB_DROP_OUTBOX_CONTAINER: dataNames.outboxContainer
}

// The app's tuning settings at the app's own defaults, so operators find and change them here.
var tuningSettings = {
  JOB_CHUNK_SIZE: '500'
  MINI_BATCH_RETRY_DELAY_MS: '1000'
  JOB_PROGRESS_INTERVAL_MS: '2000'
  DOWNLOAD_CONCURRENCY: '8'
  SCORING_IDLE_TIMEOUT_MS: '300000'
  SCORING_PREWARM_DEPLOYMENTS: '2'
  ORT_INTRA_OP_THREADS: '1'
  OUTPUT_DIRECT_BLOCKS: '40000'
  JOB_SETTLE_GRACE_MS: '60000'
  OUTPUT_SERVE_MAX_BYTES: '104857600'
  STORAGE_REQUEST_DEADLINE_MS: '10000'
}

// Defaults the app computes at run time (one worker per core) are left out unless given.
var computedDefaultSettings = empty(scoringMaxWorkers) ? {} : { SCORING_MAX_WORKERS: scoringMaxWorkers }

// host.json stays on the Azure Storage provider (the SchemaStore host.json schema has no
// storageProvider.type); the Durable Task Scheduler is switched on by overriding host.json with
// AzureFunctionsJobHost__* settings, which the host merges into its configuration.
var durableSettings = durableBackend == 'durableTaskScheduler' ? {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
} : {}

module functionApp '../core/host/functions-flex-consumption.bicep' = {
  name: 'function-app'
  params: {
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    planId: planId
    identityId: identityId
    deploymentContainerUrl: '${blobServiceUri}/${deploymentContainerName}'
    runtimeName: 'node'
    runtimeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: union(
      storageSettings,
      monitoringSettings,
      authSettings,
      dataSettings,
      tuningSettings,
      computedDefaultSettings,
      durableSettings
    )
  }
}

output name string = functionApp.outputs.name
output uri string = 'https://${functionApp.outputs.defaultHostName}'
