// The Event Grid subscription that delivers BlobCreated events in the inbox container to the
// blob-drop function's webhook. It needs the host's blobs_extension system key, which exists only
// once a function with an Event Grid blob trigger runs on the app, so it cannot be created by
// `azd provision` before the first deploy: the postdeploy hook (infra/hooks/postdeploy.sh)
// deploys this file when that key exists. The key is read here with listKeys and goes straight
// into the subscription; it is never an output or a parameter.

@description('Name of the function app that hosts the blob-drop function.')
param functionAppName string

@description('Name of the Event Grid system topic of the storage account.')
param systemTopicName string

@description('Name of the blob-drop function (Host.Functions.<name> in the webhook URL).')
param functionName string = 'blobDrop'

@description('Container whose new blobs start blob-drop jobs.')
param inboxContainer string

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

var blobsExtensionKey = listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'blob-drop-${functionName}'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${inboxContainer}/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output name string = subscription.name
