const { app } = require('@azure/functions');
const { record } = require('../lib/record');

app.storageBlob('blobRecorder', {
  path: '%TRIG_CONTAINER%/in/{folder}/{name}.txt',
  connection: 'TriggerStorage',
  handler: async (blob, context) => {
    const m = context.triggerMetadata;
    record('blobRecorder', {
      isBuffer: Buffer.isBuffer(blob),
      content: blob.toString('utf8'),
      name: m.name,
      folder: m.folder,
      blobTrigger: m.blobTrigger,
      uri: m.uri,
      eTag: m.properties.eTag,
      contentLength: m.properties.contentLength,
      metadata: m.metadata,
    });
  },
});

app.storageBlob('blobFailer', {
  path: '%TRIG_CONTAINER%/fail/{name}',
  connection: 'TriggerStorage',
  source: 'EventGrid',
  handler: async (_blob, context) => {
    record('blobFailer', { name: context.triggerMetadata.name });
    throw new Error(`cannot process ${context.triggerMetadata.name}`);
  },
});
