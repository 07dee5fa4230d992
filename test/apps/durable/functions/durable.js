const { app } = require('@azure/functions');
const df = require('durable-functions');

// ---- starter: POST /api/start/{name}/{id?} with a JSON input ----
app.http('start', {
  route: 'start/{name}/{id?}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const text = await request.text();
    const instanceId = await client.startNew(request.params.name, {
      instanceId: request.params.id,
      input: text ? JSON.parse(text) : undefined,
    });
    return client.createCheckStatusResponse(request, instanceId);
  },
});

// ---- client operations exercised through the SDK's rpc calls ----
app.http('client', {
  route: 'client/{op}/{id}',
  methods: ['POST', 'GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const { op, id } = request.params;
    const text = await request.text();
    switch (op) {
      case 'status':
        return { jsonBody: await client.getStatus(id, { showHistory: true, showHistoryOutput: true }) };
      case 'raise':
        await client.raiseEvent(id, request.query.get('event'), text ? JSON.parse(text) : undefined);
        return { status: 202 };
      case 'terminate':
        await client.terminate(id, request.query.get('reason') ?? 'terminated by test');
        return { status: 202 };
      case 'purge':
        return { jsonBody: await client.purgeInstanceHistory(id) };
      case 'list':
        return { jsonBody: await client.getStatusBy({ runtimeStatus: [request.query.get('status')] }) };
      default:
        return { status: 400 };
    }
  },
});

// ---- activities ----
df.app.activity('echo', { handler: (input) => input });

// Records each execution (ECHO_LOG) so tests can see activities re-run after a crash.
df.app.activity('slowEcho', {
  handler: async (input) => {
    await new Promise((r) => setTimeout(r, Number(process.env.SLOW_ECHO_MS ?? 25)));
    if (process.env.ECHO_LOG) require('node:fs').appendFileSync(process.env.ECHO_LOG, `${input}\n`);
    return input;
  },
});

// Records which host ran each execution (HOST_TAG), for tests with several hosts on one hub.
df.app.activity('taggedEcho', {
  handler: async (input) => {
    await new Promise((r) => setTimeout(r, Number(process.env.SLOW_ECHO_MS ?? 25)));
    if (process.env.ECHO_LOG) require('node:fs').appendFileSync(process.env.ECHO_LOG, `${input} ${process.env.HOST_TAG}\n`);
    return input;
  },
});

// Never ends, and holds nothing that keeps the process alive (HANG_MARK: a file written when it starts).
df.app.activity('hang', {
  handler: async () => {
    if (process.env.HANG_MARK) require('node:fs').writeFileSync(process.env.HANG_MARK, '');
    await new Promise(() => undefined);
  },
});

const attempts = new Map();
df.app.activity('flaky', {
  handler: (input) => {
    const n = (attempts.get(input.key) ?? 0) + 1;
    attempts.set(input.key, n);
    if (n <= input.failures) throw new Error(`flaky failure ${n} of ${input.failures}`);
    return { key: input.key, attempts: n };
  },
});

// ---- orchestrations ----
df.app.orchestration('fanOut', function* (context) {
  const { count, activity = 'echo' } = context.df.getInput();
  const tasks = [];
  for (let i = 0; i < count; i++) tasks.push(context.df.callActivity(activity, i));
  const results = yield context.df.Task.all(tasks);
  return results;
});

df.app.orchestration('retrying', function* (context) {
  const input = context.df.getInput();
  const options = new df.RetryOptions(input.firstRetryMs, input.maxAttempts);
  options.backoffCoefficient = input.backoff ?? 1;
  try {
    return yield context.df.callActivityWithRetry('flaky', options, { key: input.key, failures: input.failures });
  } catch (err) {
    return { failed: true, message: err.message };
  }
});

df.app.orchestration('timerThenEcho', function* (context) {
  const { delayMs } = context.df.getInput();
  const start = context.df.currentUtcDateTime;
  yield context.df.createTimer(new Date(start.getTime() + delayMs));
  const after = context.df.currentUtcDateTime;
  const echoed = yield context.df.callActivity('echo', 'after-timer');
  return { waitedMs: after.getTime() - start.getTime(), echoed };
});

df.app.orchestration('approval', function* (context) {
  const { timeoutMs } = context.df.getInput();
  context.df.setCustomStatus({ stage: 'waiting' });
  const approval = context.df.waitForExternalEvent('approve');
  const timeout = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + timeoutMs));
  const winner = yield context.df.Task.any([approval, timeout]);
  if (winner === approval) {
    timeout.cancel();
    context.df.setCustomStatus({ stage: 'approved' });
    return { approved: true, by: approval.result };
  }
  return { approved: false };
});

df.app.orchestration('twoEvents', function* (context) {
  const first = yield context.df.waitForExternalEvent('first');
  const second = yield context.df.waitForExternalEvent('second');
  return [first, second];
});

df.app.orchestration('child', function* (context) {
  const n = context.df.getInput();
  const doubled = yield context.df.callActivity('echo', n * 2);
  if (n < 0) throw new Error(`child refused ${n}`);
  return doubled;
});

df.app.orchestration('parent', function* (context) {
  const values = context.df.getInput();
  const results = yield context.df.Task.all(values.map((v) => context.df.callSubOrchestrator('child', v)));
  let failure = null;
  try {
    yield context.df.callSubOrchestrator('child', -1);
  } catch (err) {
    failure = err.message;
  }
  return { results, failure };
});

df.app.orchestration('counter', function* (context) {
  const n = context.df.getInput() ?? 0;
  yield context.df.callActivity('echo', n);
  if (n < 3) {
    context.df.continueAsNew(n + 1);
    return;
  }
  return `done at ${n}`;
});

df.app.orchestration('waitForever', function* (context) {
  yield context.df.waitForExternalEvent('never');
});

df.app.orchestration('failing', function* () {
  throw new Error('orchestrator gave up');
});

// A deployment that changes the orchestrator while instances are in flight: ORCHESTRATOR_VARIANT
// picks the code, as two versions of one app would.
df.app.orchestration('versioned', function* (context) {
  const variant = process.env.ORCHESTRATOR_VARIANT ?? 'v1';
  if (variant === 'v1') yield context.df.callActivity('echo', 'first');
  if (variant === 'renamed') yield context.df.callActivity('slowEcho', 'first');
  if (variant === 'timer') yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 10));
  const go = yield context.df.waitForExternalEvent('go');
  if (variant === 'removed') return { variant };
  const last = yield context.df.callActivity('echo', go);
  return { variant, last };
});

df.app.orchestration('callsMissing', function* (context) {
  try {
    yield context.df.callActivity('noSuchActivity', 1);
    return 'called';
  } catch (err) {
    return err.message;
  }
});
