const { app } = require('@azure/functions');
const { record } = require('../lib/record');

app.storageQueue('queueRecorder', {
  queueName: '%TRIG_QUEUE%',
  connection: 'TriggerStorage',
  handler: async (message, context) => {
    record('queueRecorder', { value: message, type: typeof message, metadata: context.triggerMetadata });
  },
});

app.storageQueue('queueFailer', {
  queueName: '%TRIG_BAD_QUEUE%',
  handler: async (message, context) => {
    record('queueFailer', { value: message, dequeueCount: context.triggerMetadata.dequeueCount });
    throw new Error('queueFailer always fails');
  },
});

app.storageQueue('queueSlow', {
  queueName: '%TRIG_SLOW_QUEUE%',
  handler: async (message, context) => {
    record('queueSlow', { event: 'started', id: context.triggerMetadata.id });
    await new Promise((r) => setTimeout(r, message.ms));
    record('queueSlow', { event: 'finished', id: context.triggerMetadata.id });
  },
});
