const df = require('durable-functions');

// An empty activity: the benchmark measures the host, not the work.
df.app.activity('noop', { handler: (i) => i });

df.app.orchestration('fanOut', function* (context) {
  const count = context.df.getInput();
  const tasks = [];
  for (let i = 0; i < count; i++) tasks.push(context.df.callActivity('noop', i));
  const results = yield context.df.Task.all(tasks);
  return results.length;
});
