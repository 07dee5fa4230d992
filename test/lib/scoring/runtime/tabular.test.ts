import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeLines } from '../../../../lib/scoring/runtime/outputText';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../../../lib/scoring/onnx/model';
import { releaseInferenceSessions } from '../../../../lib/scoring/onnx/sessionCache';
import { ScorerPool } from '../../../../lib/scoring/runtime/scorerPool';
import type { ScorerSpec } from '../../../../lib/scoring/runtime/types';
import { scoreAll } from '../helpers';
import { isFatal } from '../../../../lib/util/fatal';
import { assertWorkerBuilt, IRIS_DATA_DIR, IRIS_MODEL_DIR, miniBatchError, tempDir } from './helpers';

assertWorkerBuilt();
const pool = new ScorerPool({ maxWorkers: 2 });
afterAll(() => pool.close());
afterAll(releaseInferenceSessions);

const tabular = (modelPath: string): ScorerSpec => ({ kind: 'tabular', modelPath, environmentVariables: {}, loggingLevel: 'Info' });

describe('ScorerPool: no-code tabular scoring', () => {
  it('scores CSV, JSONL and Parquet like scoreTabularFile, and fails only the bad file', async () => {
    const dir = tempDir();
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,x,3,4\n');
    const files = [
      { path: path.join(IRIS_DATA_DIR, 'iris-part-1.csv'), name: 'part-1.csv' },
      { path: bad, name: 'nested/bad.csv' },
      { path: path.join(IRIS_DATA_DIR, 'iris.jsonl'), name: 'iris.jsonl' },
      { path: path.join(IRIS_DATA_DIR, 'iris.parquet'), name: 'iris.parquet' },
    ];
    const result = await pool.run(tabular(IRIS_MODEL_DIR), { files, params: {}, miniBatchIndex: 0, timeoutMs: 10_000 });

    const model = await loadOnnxModel(IRIS_MODEL_DIR);
    const expected: string[] = [];
    for (const file of files.filter((f) => f.path !== bad)) expected.push(...(await scoreAll(model, file.path, { fileName: file.name })));
    expect(decodeLines(result.output)).toHaveLength(50 + 150 + 150);
    expect(decodeLines(result.output)).toEqual(expected); // no line of bad.csv, although its first row scored
    expect(decodeLines(result.output)[0]).toMatch(/^0,\d,part-1\.csv$/);
    expect(result).toMatchObject({ succeededItems: 3, failedItems: 1 });
    expect(result.itemErrors).toEqual([{ file: 'nested/bad.csv', message: "nested/bad.csv: row 1 (line 3), column 'sepal_width': 'x' is not a number" }]);
    expect(result.logs).toContainEqual({ level: 'warning', message: result.itemErrors[0]!.message });
    expect(result.logs).toContainEqual({ level: 'info', message: 'iris.parquet: 150 row(s) scored' });
  });

  it('counts an unsupported, empty or missing file as one failed item each', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    writeFileSync(path.join(dir, 'empty.csv'), '');
    const files = ['notes.txt', 'empty.csv', 'gone.csv'].map((name) => ({ path: path.join(dir, name), name }));
    const result = await pool.run(tabular(IRIS_MODEL_DIR), { files, params: {}, miniBatchIndex: 1, timeoutMs: 10_000 });
    expect(result).toMatchObject({ outputRows: 0, succeededItems: 0, failedItems: 3 });
    expect(result.output.byteLength).toBe(0);
    expect(result.itemErrors.map((e) => e.message)).toEqual([
      "notes.txt: unsupported file type '.txt': the no-code scorer reads .csv, .parquet, .jsonl files",
      'empty.csv: the file is empty (0 bytes)',
      expect.stringMatching(/^gone\.csv: cannot read file \(ENOENT/),
    ]);
  });

  it('fails the mini-batch with ModelInvalid when the model cannot be loaded', async () => {
    const dir = tempDir();
    const err = await miniBatchError(pool.run(tabular(dir), { files: [{ path: path.join(IRIS_DATA_DIR, 'iris-part-1.csv'), name: 'a.csv' }], params: {}, miniBatchIndex: 0, timeoutMs: 10_000 }));
    expect(err.code).toBe('ModelInvalid');
    expect(isFatal(err)).toBe(true);
    expect(err.message).toBe(`the model cannot be used by the no-code scorer: model folder ${dir} has no MLmodel file and no .onnx file: the no-code scorer needs an ONNX model`);
  });
});
