import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeLines } from '../../../../lib/scoring/runtime/outputText';
import { afterAll, describe, expect, it } from 'vitest';
import { ScorerPool } from '../../../../lib/scoring/runtime/scorerPool';
import { isFatal } from '../../../../lib/util/fatal';
import { assertWorkerBuilt, copyFixtures, irisCsvFiles, miniBatch, miniBatchError, scriptSpec, tempDir } from './helpers';

assertWorkerBuilt();
const code = copyFixtures();
const pool = new ScorerPool({ maxWorkers: 1 });
afterAll(() => pool.close());

const [csv] = irisCsvFiles();
const run = (folder: string, script: string, params: Record<string, string> = {}) =>
  miniBatchError(pool.run(scriptSpec(path.join(code, folder), script), miniBatch([csv!], { params })));

describe('ScorerPool: scoring script errors say what was wrong', () => {
  it('ScriptNotFound lists the files that are in the code folder', async () => {
    const err = await run('env', 'score.mjs');
    expect(err.code).toBe('ScriptNotFound');
    // Marked fatal where it is thrown, in the worker, and still so on this side: the job stops.
    expect(isFatal(err)).toBe(true);
    expect(err.message).toBe("scoring script 'score.mjs' not found in the code folder (files in the code folder: src/score.mjs)");
    expect((await run('missing-folder', 'score.js')).message).toMatch(/^the code folder .*missing-folder does not exist/);
    expect((await run('good', '../modes/score.js')).message).toBe("scoring script '../modes/score.js' must be a file path relative to the code folder, inside it");
  });

  it('ScriptInvalid for a TypeScript or Python file', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'score.ts'), 'export function run() {}');
    writeFileSync(path.join(dir, 'score.py'), 'def run(mini_batch): pass');
    const ts = await miniBatchError(pool.run(scriptSpec(dir, 'score.ts'), miniBatch([csv!])));
    expect(ts).toMatchObject({
      code: 'ScriptInvalid',
      message: "scoring script 'score.ts' cannot be loaded: it is TypeScript: compile it to JavaScript and point scoringScript at the .js file (.js, .cjs, .mjs)",
    });
    const py = await miniBatchError(pool.run(scriptSpec(dir, 'score.py'), miniBatch([csv!])));
    expect(py.message).toContain('Python scoring scripts are not supported');
    expect([isFatal(ts), isFatal(py)]).toEqual([true, true]);
  });

  it('ScriptInvalid with file, line and message for a syntax error (CommonJS and ES module)', async () => {
    const cjs = await run('syntax-error', 'score.js');
    expect(cjs.code).toBe('ScriptInvalid');
    expect(cjs.message).toBe(`scoring script 'score.js' has a syntax error at ${path.join(code, 'syntax-error', 'score.js')}:4: Unexpected token ';'`);
    expect(cjs.details).toContain('  return miniBatch.map((f) => [f,;');

    const esm = await run('syntax-error-esm', 'score.mjs');
    expect(esm.code).toBe('ScriptInvalid');
    expect(esm.message).toBe(`scoring script 'score.mjs' has a syntax error at ${path.join(code, 'syntax-error-esm', 'score.mjs')}:3: Unexpected token ';'`);
    expect(esm.stack).toMatch(/score\.mjs:3\n {2}return miniBatch.*\n\s+\^\n\nSyntaxError: Unexpected token ';'$/);
  });

  it('ScriptInvalid naming the exports found when there is no run export', async () => {
    const err = await run('no-run', 'score.js');
    expect(err.code).toBe('ScriptInvalid');
    expect(err.message).toMatch(/^scoring script 'score.js' does not export a run function \(exports found: init, score\)\. Export run\(miniBatch, context\)/);
  });

  it('ScriptInvalid for a package the script needs but nobody has', async () => {
    const err = await run('missing-dependency', 'score.js');
    expect(err.code).toBe('ScriptInvalid');
    expect(err.message).toBe(
      "scoring script 'score.js' cannot be loaded: Cannot find module 'no-such-package-for-scoring'. Packages it uses must be in the code folder (node_modules) or installed with the app",
    );
  });

  it('InitFailed when init() or the module itself throws, with the user stack', async () => {
    const init = await run('init-throws', 'score.js');
    expect(init).toMatchObject({ code: 'InitFailed', message: "init() in 'score.js' threw: model.pkl not found in model" });
    expect(init.stack).toContain(path.join(code, 'init-throws', 'score.js'));
    const load = await run('top-level-throws', 'score.js');
    expect(load).toMatchObject({ code: 'InitFailed', message: "scoring script 'score.js' threw while loading (top-level code): cannot read configuration" });
    // The user's code may depend on something passing (a file, a service): retried, not fatal.
    expect([isFatal(init), isFatal(load)]).toEqual([false, false]);
  });

  it('RunFailed when run() throws, keeping the user stack; the worker keeps serving', async () => {
    const err = await run('modes', 'score.js', { mode: 'throw' });
    expect(err).toMatchObject({ code: 'RunFailed', message: "run() in 'score.js' threw: bad things happened in run" });
    expect(isFatal(err)).toBe(false);
    expect(err.stack).toMatch(/^Error: bad things happened in run\n\s+at .*modes[/\\]score\.js:\d+/);
    const ok = await pool.run(scriptSpec(path.join(code, 'modes'), 'score.js'), miniBatch([csv!]));
    expect(decodeLines(ok.output)).toEqual(['iris-part-1.csv']);
  });

  it('WrongReturnType says what run() must return and what it returned', async () => {
    const expected = 'run() must return an array with one element per successfully processed item; it returned';
    expect(await run('modes', 'score.js', { mode: 'object' })).toMatchObject({ code: 'WrongReturnType', message: `${expected} an object (keys: results)` });
    expect((await run('modes', 'score.js', { mode: 'undefined' })).message).toBe(`${expected} undefined (a missing return statement?)`);
    expect((await run('modes', 'score.js', { mode: 'null-element' })).message).toBe(
      'run() returned an array whose element 0 cannot be an output line: an output item must be a string, an array or an object of fields, got null',
    );
  });

  it('returns the logs written before the failure', async () => {
    const err = await run('modes', 'score.js', { mode: 'throw' });
    expect(err.logs).toEqual([{ level: 'error', message: 'about to fail' }]);
  });
});
