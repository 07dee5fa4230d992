@description('Name of the Event Grid system topic.')
param name string

@description('Azure region of the topic (the storage account\'s region).')
param location string

@description('Tags applied to the topic.')
param tags object = {}

@description('Name of the storage account whose blob events the topic publishes.')
param storageAccountName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// One system topic per storage account: subscriptions (the blob-drop webhook) hang off it.
resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output name string = topic.name
