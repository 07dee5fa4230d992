import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { OnnxModel } from '../../../lib/scoring/onnx/model';
import { scoreTabularFile, type ScoreFileOptions } from '../../../lib/scoring/tabular/scoreFile';

export const REPO = path.resolve(__dirname, '..', '..', '..');
export const IRIS_MODEL_DIR = path.join(REPO, 'samples', 'iris', 'model');
export const IRIS_DATA_DIR = path.join(REPO, 'samples', 'iris', 'data');
export const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** A temp folder removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'scoring-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFile(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** All output lines of one file. */
export async function scoreAll(model: OnnxModel, file: string, options?: ScoreFileOptions): Promise<string[]> {
  const lines: string[] = [];
  for await (const chunk of scoreTabularFile(model, file, options)) lines.push(...chunk.lines);
  return lines;
}

/** Rejection message of a promise (fails the test if it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('expected a rejection');
}

/** The sample model's labels computed by ONNX Runtime directly, with no project code involved. */
export async function irisLabelsDirect(rows: number[][]): Promise<number[]> {
  const session = await InferenceSession.create(readFileSync(path.join(IRIS_MODEL_DIR, 'model.onnx')));
  try {
    const input = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
    const out = await session.run({ features: input });
    return Array.from(out['label']!.data as BigInt64Array, Number);
  } finally {
    await session.release();
  }
}

/** The numbers of a simple (unquoted) sample CSV, in FEATURES order. */
export function readSimpleCsv(file: string): number[][] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((l) => {
    const cells = l.split(',');
    return FEATURES.map((f) => Number(cells[names.indexOf(f)]));
  });
}
