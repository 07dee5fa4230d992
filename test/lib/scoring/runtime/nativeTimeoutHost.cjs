// Child process for nativeTimeout.test.ts: a host that times out mini-batches while their worker
// is inside an ONNX Runtime call, then scores more. If stopping a worker there kills the process,
// the test sees this process die (SIGABRT) instead of its JSON report.
'use strict';
const { ScorerPool } = require(process.env.SCORER_POOL_MODULE);
const { scriptSpec, tabularSpec, longCsv, shortCsv } = JSON.parse(process.argv[2]);

async function outcome(promise) {
  try {
    const result = await promise;
    return { ok: true, succeededItems: result.succeededItems, outputRows: result.outputRows, output: Buffer.from(result.output).toString() };
  } catch (err) {
    return { ok: false, code: err.code, message: err.message, logs: err.logs };
  }
}

(async () => {
  const pool = new ScorerPool({ maxWorkers: 1 });
  const report = {};
  // Warm first: init() (the model load) is done, so the clock runs out in run()'s one long call.
  await pool.warm(scriptSpec, 1);
  report.scriptTimedOut = await outcome(pool.run(scriptSpec, { files: [{ path: shortCsv, name: 'a.csv' }], params: { rows: '200000' }, miniBatchIndex: 1, timeoutMs: 300 }));
  report.scriptNext = await outcome(pool.run(scriptSpec, { files: [{ path: shortCsv, name: 'a.csv' }], params: { rows: '100' }, miniBatchIndex: 2, timeoutMs: 120_000 }));
  // The no-code scorer: most of a 10,000-row chunk's time is its ONNX Runtime run.
  await pool.warm(tabularSpec, 1);
  report.tabularTimedOut = [];
  for (const timeoutMs of [150, 250, 350]) {
    report.tabularTimedOut.push(await outcome(pool.run(tabularSpec, { files: [{ path: longCsv, name: 'long.csv' }], params: {}, miniBatchIndex: 3, timeoutMs })));
  }
  report.tabularNext = await outcome(pool.run(tabularSpec, { files: [{ path: shortCsv, name: 'short.csv' }], params: {}, miniBatchIndex: 4, timeoutMs: 120_000 }));
  await pool.close();
  process.stdout.write(JSON.stringify(report));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
