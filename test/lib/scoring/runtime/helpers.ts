import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { MiniBatchError } from '../../../../lib/scoring/runtime/errors';
import type { MiniBatchTask, ScorerSpec } from '../../../../lib/scoring/runtime/types';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'scripts');
export const IRIS_MODEL_DIR = path.join(REPO, 'samples', 'iris', 'model');
export const IRIS_DATA_DIR = path.join(REPO, 'samples', 'iris', 'data');

/**
 * Worker threads run the compiled worker from dist/ (see lib/scoring/runtime/workerFile.ts).
 * Fail early and clearly when dist/ is older than the sources it was built from, instead of
 * testing yesterday's code.
 */
export function assertWorkerBuilt(): void {
  for (const folder of ['lib/scoring', 'lib/output']) {
    for (const source of sourceFiles(path.join(REPO, folder))) {
      const rel = path.relative(REPO, source);
      const built = path.join(REPO, 'dist', rel.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs'));
      const builtTime = statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (builtTime < statSync(source).mtimeMs) {
        throw new Error(`dist/ is out of date (${rel} is newer than its build): run "npx tsc -p ." first (npm test does)`);
      }
    }
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * A copy of the fixture scripts in a temp folder, removed after the test file: code assets are
 * downloaded outside the app, where Node's own lookup cannot find the app's packages.
 */
export function copyFixtures(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'scorer-code-'));
  cpSync(FIXTURES, dir, { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'scorer-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function scriptSpec(codeDir: string, scoringScript: string, more: Partial<ScorerSpec> = {}): ScorerSpec {
  return { kind: 'script', modelPath: IRIS_MODEL_DIR, codeDir, scoringScript, environmentVariables: {}, loggingLevel: 'Info', ...more };
}

export function miniBatch(files: string[], more: Partial<MiniBatchTask> = {}): MiniBatchTask {
  return { files: files.map((p) => ({ path: p, name: path.basename(p) })), params: {}, miniBatchIndex: 0, timeoutMs: 10_000, ...more };
}

export function irisCsvFiles(): string[] {
  return readdirSync(IRIS_DATA_DIR).filter((f) => f.endsWith('.csv')).sort().map((f) => path.join(IRIS_DATA_DIR, f));
}

/** The MiniBatchError a promise rejects with (fails the test otherwise). */
export async function miniBatchError(promise: Promise<unknown>): Promise<MiniBatchError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MiniBatchError);
    return err as MiniBatchError;
  }
  throw new Error('expected the mini-batch to fail');
}
