import { readFileSync, writeFileSync } from 'node:fs';
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

  it('scores files handed over as bytes like the same files on disk, taking the bytes without a copy', async () => {
    const names = ['iris-part-1.csv', 'iris.jsonl', 'iris.parquet'];
    const onDisk = names.map((name) => ({ path: path.join(IRIS_DATA_DIR, name), name }));
    const expected = await pool.run(tabular(IRIS_MODEL_DIR), { files: onDisk, params: {}, miniBatchIndex: 0, timeoutMs: 10_000 });
    const bytes = names.map((name) => new Uint8Array(readFileSync(path.join(IRIS_DATA_DIR, name))));
    // A view into a shared ArrayBuffer (as small Buffers are) is copied, not taken away.
    const shared = Buffer.concat([Buffer.from('xx'), readFileSync(path.join(IRIS_DATA_DIR, 'iris-part-2.csv'))]).subarray(2);
    const inMemory = [...names.map((name, i) => ({ path: name, name, bytes: bytes[i] })), { path: 'iris-part-2.csv', name: 'part-2.csv', bytes: shared }];
    const result = await pool.run(tabular(IRIS_MODEL_DIR), { files: inMemory, params: {}, miniBatchIndex: 0, timeoutMs: 10_000 });
    const part2 = await pool.run(tabular(IRIS_MODEL_DIR), { files: [{ path: path.join(IRIS_DATA_DIR, 'iris-part-2.csv'), name: 'part-2.csv' }], params: {}, miniBatchIndex: 0, timeoutMs: 10_000 });
    expect(decodeLines(result.output)).toEqual([...decodeLines(expected.output), ...decodeLines(part2.output)]);
    expect(result).toMatchObject({ succeededItems: 4, failedItems: 0 });
    expect(bytes.map((b) => b.byteLength)).toEqual([0, 0, 0]); // transferred to the worker
    expect(shared.byteLength).toBeGreaterThan(0);
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

  it('hands the output over in blocks, in order, and stops the mini-batch with the error of a block that could not be handled', async () => {
    const dir = tempDir();
    const big = path.join(dir, 'big.csv');
    writeFileSync(big, `sepal_length,sepal_width,petal_length,petal_width\n${'5.1,3.5,1.4,0.2\n'.repeat(25_000)}`);
    const files = [{ path: big, name: 'big.csv' }, { path: path.join(IRIS_DATA_DIR, 'iris-part-1.csv'), name: 'part-1.csv' }];
    const got: { seq: number; lines: string[] }[] = [];
    const task = { files, params: {}, miniBatchIndex: 2, timeoutMs: 30_000, outputBlockBytes: 1000 };
    const result = await pool.run(tabular(IRIS_MODEL_DIR), task, { onBlock: async (seq, bytes) => void got.push({ seq, lines: decodeLines(bytes) }) });
    expect(result.output).toBeUndefined();
    expect(result.blocks).toEqual([0, 1, 2, 3]); // three reader chunks of big.csv, then part-1.csv
    expect(got.map((b) => b.seq)).toEqual([0, 1, 2, 3]);
    expect(got.map((b) => b.lines.length)).toEqual([10_000, 10_000, 5_000, 50]);
    expect(got.flatMap((b) => b.lines.map((l) => Number(l.split(',')[0])))).toEqual([...Array.from({ length: 25_000 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => i)]);

    const refused = Object.assign(new Error('503 Server Busy'), { statusCode: 503 });
    const handled: number[] = [];
    await expect(
      pool.run(tabular(IRIS_MODEL_DIR), task, {
        onBlock: async (seq) => {
          if (seq === 1) throw refused;
          handled.push(seq);
        },
      }),
    ).rejects.toBe(refused);
    expect(handled).toEqual([0]);
    // The worker is still there and serves the next mini-batch.
    expect((await pool.run(tabular(IRIS_MODEL_DIR), task)).outputRows).toBe(25_050);
  });

  it('fails the mini-batch with ModelInvalid when the model cannot be loaded', async () => {
    const dir = tempDir();
    const err = await miniBatchError(pool.run(tabular(dir), { files: [{ path: path.join(IRIS_DATA_DIR, 'iris-part-1.csv'), name: 'a.csv' }], params: {}, miniBatchIndex: 0, timeoutMs: 10_000 }));
    expect(err.code).toBe('ModelInvalid');
    expect(isFatal(err)).toBe(true);
    expect(err.message).toBe(`the model cannot be used by the no-code scorer: model folder ${dir} has no MLmodel file and no .onnx file: the no-code scorer needs an ONNX model`);
  });
});
