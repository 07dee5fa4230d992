import path from 'node:path';
import { decodeLines } from '../../../../lib/scoring/runtime/outputText';
import { afterAll, describe, expect, it } from 'vitest';
import { ScorerPool } from '../../../../lib/scoring/runtime/scorerPool';
import { assertWorkerBuilt, copyFixtures, irisCsvFiles, miniBatch, miniBatchError, scriptSpec } from './helpers';

assertWorkerBuilt();
const code = copyFixtures();
const pool = new ScorerPool({ maxWorkers: 1 });
afterAll(() => pool.close());

const [csv] = irisCsvFiles();
const modes = scriptSpec(path.join(code, 'modes'), 'score.js');

describe('ScorerPool: runaway and crashing scripts', () => {
  it('stops an endless loop at the timeout, keeps its logs, and the next mini-batch runs', async () => {
    // The timeout counts from when a worker picks the mini-batch up, loading a cold worker's script
    // included: a warm worker reaches the script's log line first even on a busy machine.
    await pool.warm(modes, 1);
    const started = Date.now();
    const err = await miniBatchError(pool.run(modes, miniBatch([csv!], { params: { mode: 'loop' }, miniBatchIndex: 4, timeoutMs: 500 })));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: 'Timeout', message: 'mini-batch 4 timed out after 0.5 s' });
    expect(err.logs).toEqual([{ level: 'warning', message: 'entering an endless loop' }]);
    // Given its whole timeout (the Timeout code says the pool's timer stopped it; where that clock
    // starts is the last test's subject); no upper bound on a busy machine's wall clock.
    expect(elapsed).toBeGreaterThanOrEqual(500);
    // The looping thread is really gone: the process is idle, not spinning a core.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cpu = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(process.cpuUsage(cpu).user / 1000).toBeLessThan(250);
    const next = await pool.run(modes, miniBatch([csv!]));
    expect(decodeLines(next.output)).toEqual(['iris-part-1.csv']);
  });

  it('reports process.exit() as WorkerCrashed and replaces the worker', async () => {
    const err = await miniBatchError(pool.run(modes, miniBatch([csv!], { params: { mode: 'exit' }, miniBatchIndex: 2 })));
    expect(err.code).toBe('WorkerCrashed');
    expect(err.message).toBe('mini-batch 2 failed because its worker thread stopped: the worker thread exited (code 3): the scoring code called process.exit() or similar');
    expect((await pool.run(modes, miniBatch([csv!]))).succeededItems).toBe(1);
  });

  it('reports an exception thrown from a timer as WorkerCrashed with its stack', async () => {
    const err = await miniBatchError(pool.run(modes, miniBatch([csv!], { params: { mode: 'timer-throw' } })));
    expect(err.code).toBe('WorkerCrashed');
    expect(err.message).toContain('(thrown from a timer or callback, or an unhandled rejection): thrown from a timer');
    expect(err.stack).toContain(path.join(code, 'modes', 'score.js'));
    expect((await pool.run(modes, miniBatch([csv!]))).succeededItems).toBe(1);
  });

  it('replaces a worker that dies while idle without failing any mini-batch', async () => {
    const stray = await pool.run(modes, miniBatch([csv!], { params: { mode: 'stray-throw' } }));
    expect(stray.succeededItems).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the timer throws; the idle worker dies
    expect(decodeLines((await pool.run(modes, miniBatch([csv!]))).output)).toEqual(['iris-part-1.csv']);
  });

  it('starts the timeout clock when a worker picks the mini-batch up, not while it waits in the queue', async () => {
    // One worker: the second mini-batch waits at least 1,000 ms for the first, then sleeps 1,000 ms
    // itself. A clock started at queueing would pass 2,000 ms > 1,990 ms whatever the machine's
    // speed; each one's own run has 990 ms to spare for worker start and a busy machine.
    const sleep = (index: number) => pool.run(modes, miniBatch([csv!], { params: { mode: 'sleep', ms: '1000' }, miniBatchIndex: index, timeoutMs: 1990 }));
    const results = await Promise.all([sleep(0), sleep(1)]);
    expect(results.map((r) => r.succeededItems)).toEqual([1, 1]);
  });

  it('keeps environment variables of different specs apart, even when they run at the same time', async () => {
    const env = path.join(code, 'env');
    const a = scriptSpec(env, 'src/score.mjs', { environmentVariables: { ONLY_A: 'a', SHARED: 'from A' } });
    const b = scriptSpec(env, 'src/score.mjs', { environmentVariables: { ONLY_B: 'b', SHARED: 'from B' }, modelPath: path.join(code, 'good') });
    const [ra, rb] = await Promise.all([pool.run(a, miniBatch([csv!])), pool.run(b, miniBatch([csv!]))]);
    // file, modelDir, AZUREML_MODEL_DIR, ONLY_A, ONLY_B, SHARED, threshold, index, ort
    expect(decodeLines(ra.output)[0]!.split(',').slice(3, 6)).toEqual(['a', '-', 'from A']);
    expect(decodeLines(rb.output)[0]!.split(',').slice(1, 6)).toEqual([path.join(code, 'good'), path.join(code, 'good'), '-', 'b', 'from B']);
    expect(process.env['SHARED']).toBeUndefined();
  });

  it('shares warm workers between specs that differ only in key order', async () => {
    const env = path.join(code, 'env');
    const first = scriptSpec(env, 'src/score.mjs', { environmentVariables: { X: '1', Y: '2' }, loggingLevel: 'Debug' });
    const reordered = { ...first, environmentVariables: { Y: '2', X: '1' } };
    const initLogs = async (spec: typeof first) => (await pool.run(spec, miniBatch([csv!]))).logs.filter((l) => l.message === 'init: debug');
    expect(await initLogs(first)).toHaveLength(1);
    expect(await initLogs(reordered)).toHaveLength(0); // same worker: init() already ran
  });

  it('closes the least recently used pool beyond maxPools, and refuses work once closed', async () => {
    const small = new ScorerPool({ maxWorkers: 1, maxPools: 1 });
    const env = path.join(code, 'env');
    const a = scriptSpec(env, 'src/score.mjs', { loggingLevel: 'Debug', environmentVariables: { ONLY_A: 'a' } });
    const b = scriptSpec(env, 'src/score.mjs', { loggingLevel: 'Debug', environmentVariables: { ONLY_B: 'b' } });
    const inits = async (spec: typeof a) => (await small.run(spec, miniBatch([csv!]))).logs.filter((l) => l.message === 'init: debug').length;
    expect([await inits(a), await inits(a), await inits(b), await inits(a)]).toEqual([1, 0, 1, 1]);
    await small.close();
    await expect(small.run(a, miniBatch([csv!]))).rejects.toThrow('the ScorerPool is closed');
  });
});
