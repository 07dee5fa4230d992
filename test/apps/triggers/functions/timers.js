const { app } = require('@azure/functions');
const { record } = require('../lib/record');

app.timer('everySecond', {
  schedule: '*/1 * * * * *',
  handler: async (timer) => {
    record('everySecond', { timer });
  },
});

app.timer('yearly', {
  schedule: '0 0 0 1 1 *',
  useMonitor: true,
  handler: async (timer) => {
    record('yearly', { timer });
  },
});
