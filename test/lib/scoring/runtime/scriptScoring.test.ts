import { cpSync } from 'node:fs';
import path from 'node:path';
import { decodeLines } from '../../../../lib/scoring/runtime/outputText';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../../../lib/scoring/onnx/model';
import { releaseInferenceSessions } from '../../../../lib/scoring/onnx/sessionCache';
import { ScorerPool } from '../../../../lib/scoring/runtime/scorerPool';
import { scoreAll } from '../helpers';
import { assertWorkerBuilt, copyFixtures, IRIS_MODEL_DIR, irisCsvFiles, miniBatch, REPO, scriptSpec, tempDir } from './helpers';

assertWorkerBuilt();
const code = copyFixtures();
const pool = new ScorerPool({ maxWorkers: 1 });
afterAll(() => pool.close());
afterAll(releaseInferenceSessions);

describe('ScorerPool: scoring scripts', () => {
  const csv = irisCsvFiles();

  it('loads a CommonJS script once per worker, calls init() once and run() per mini-batch', async () => {
    const spec = scriptSpec(path.join(code, 'good'), 'score.js');
    const first = await pool.run(spec, miniBatch(csv.slice(0, 2), { miniBatchIndex: 0 }));
    const second = await pool.run(spec, miniBatch(csv.slice(2), { miniBatchIndex: 1 }));
    // [file, non-empty lines (header + 50 rows), init() calls, onnxruntime-node loaded from the app]
    expect(decodeLines(first.output)).toEqual(['iris-part-1.csv,51,1,function', 'iris-part-2.csv,51,1,function']);
    expect(decodeLines(second.output)).toEqual(['iris-part-3.csv,51,1,function']);
    expect(first).toMatchObject({ succeededItems: 2, failedItems: 0, itemErrors: [] });
    expect(first.logs).toEqual([
      { level: 'info', message: `init called 1 time(s), model in ${IRIS_MODEL_DIR}` },
      { level: 'info', message: 'mini-batch 0: 2 file(s)' },
    ]);
    expect(second.logs).toEqual([{ level: 'info', message: 'mini-batch 1: 1 file(s)' }]);
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('warms workers ahead of the first mini-batch: init() already ran, run() was not called', async () => {
    const warmPool = new ScorerPool({ maxWorkers: 1 });
    try {
      const spec = scriptSpec(path.join(code, 'good'), 'score.js');
      await warmPool.warm(spec, 1);
      const result = await warmPool.run(spec, miniBatch(csv.slice(0, 1), { miniBatchIndex: 0 }));
      // init() ran during the warm-up (once), so the mini-batch's own logs have only run()'s line.
      expect(decodeLines(result.output)).toEqual(['iris-part-1.csv,51,1,function']);
      expect(result.logs).toEqual([{ level: 'info', message: 'mini-batch 0: 1 file(s)' }]);
    } finally {
      await warmPool.close();
    }
  });

  it('gives an ES module in a sub-folder its params, model folder, env vars and mini-batch index', async () => {
    const spec = scriptSpec(path.join(code, 'env'), 'src/score.mjs', { environmentVariables: { ONLY_A: 'a value, with a comma' } });
    const result = await pool.run(spec, miniBatch([csv[0]!], { params: { threshold: '0.7' }, miniBatchIndex: 7 }));
    expect(decodeLines(result.output)).toEqual([`iris-part-1.csv,${IRIS_MODEL_DIR},${IRIS_MODEL_DIR},"a value, with a comma",-,-,0.7,7,function`]);
    expect(process.env['ONLY_A']).toBeUndefined(); // set in the worker only
  });

  it('keeps log entries at or above the deployment loggingLevel', async () => {
    const levels = async (loggingLevel: 'Warning' | 'Info' | 'Debug') => {
      const result = await pool.run(scriptSpec(path.join(code, 'env'), 'src/score.mjs', { loggingLevel }), miniBatch([csv[0]!]));
      return result.logs.map((l) => `${l.level}:${l.message}`);
    };
    const warnings = ['warning:run: warning', 'warning:run: warn', 'error:run: error { index: 0 }'];
    expect(await levels('Warning')).toEqual(warnings);
    expect(await levels('Info')).toEqual(['info:run: info', ...warnings]);
    expect(await levels('Debug')).toEqual(['debug:init: debug', 'debug:run: debug', 'info:run: info', ...warnings]);
  });

  it('caps the logs of a mini-batch and says how many entries were dropped', async () => {
    const result = await pool.run(scriptSpec(path.join(code, 'modes'), 'score.js'), miniBatch([csv[0]!], { params: { mode: 'log-flood' } }));
    expect(result.logs).toHaveLength(201);
    expect(result.logs[199]).toEqual({ level: 'info', message: 'entry 199' });
    expect(result.logs[200]).toEqual({ level: 'warning', message: '100 more log entries dropped (limit 200 entries / 64 KiB per mini-batch)' });
  });

  it('counts missing elements as failed items, and writes every element when there are more', async () => {
    const spec = scriptSpec(path.join(code, 'modes'), 'score.js');
    const fewer = await pool.run(spec, miniBatch(csv, { params: { mode: 'fewer' } }));
    expect(fewer).toMatchObject({ outputRows: 2, succeededItems: 2, failedItems: 1 });
    expect(decodeLines(fewer.output)).toEqual(['iris-part-2.csv', 'iris-part-3.csv']);
    expect(fewer.itemErrors).toEqual([{ file: '', message: 'run() returned 2 element(s) for 3 file(s): 1 item(s) counted as failed' }]);

    const none = await pool.run(spec, miniBatch(csv, { params: { mode: 'none' } }));
    expect(none).toMatchObject({ outputRows: 0, succeededItems: 0, failedItems: 3 });
    expect(none.output.byteLength).toBe(0);
    expect(none.itemErrors[0]!.message).toContain('no succeeded mini-batch item returned from run()');

    const more = await pool.run(spec, miniBatch(csv.slice(0, 2), { params: { mode: 'more' } }));
    expect(more).toMatchObject({ succeededItems: 2, failedItems: 0, itemErrors: [] });
    expect(decodeLines(more.output)).toEqual(['iris-part-1.csv,a', 'iris-part-1.csv,b', 'iris-part-2.csv,a', 'iris-part-2.csv,b']);
  });

  it('runs samples/iris/score/score.js from a code folder outside the app', async () => {
    const codeDir = tempDir();
    cpSync(path.join(REPO, 'samples', 'iris', 'score', 'score.js'), path.join(codeDir, 'score.js'));
    const spec = scriptSpec(codeDir, 'score.js');
    const result = await pool.run(spec, miniBatch(csv, { params: { min_confidence: '0' } }));
    const model = await loadOnnxModel(IRIS_MODEL_DIR);
    const expected: string[] = [];
    for (const file of csv) {
      const counts = [0, 0, 0, 0];
      for (const line of await scoreAll(model, file)) counts[Number(line.split(',')[1])]!++;
      expected.push([path.basename(file), 50, ...counts].join(','));
    }
    expect(result).toMatchObject({ succeededItems: 3, failedItems: 0 });
    expect(decodeLines(result.output)).toEqual(expected);
    expect(result.logs.map((l) => l.message)).toContain(`iris model loaded from ${IRIS_MODEL_DIR}`);
    const uncertain = await pool.run(spec, miniBatch([csv[0]!], { params: { min_confidence: '1.01' } }));
    expect(decodeLines(uncertain.output)).toEqual(['iris-part-1.csv,50,0,0,0,50']);
  });
});
