import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScorerSpec } from '../../../../lib/scoring/runtime/types';
import { assertWorkerBuilt, copyFixtures, REPO, scriptSpec, tempDir } from './helpers';

assertWorkerBuilt();
const code = copyFixtures();
const MLP_MODEL_DIR = path.join(REPO, 'samples', 'mlp', 'model');

describe('ScorerPool: a mini-batch that times out inside an ONNX Runtime call', () => {
  it('fails with Timeout and the host process lives on (scripts and the no-code scorer)', () => {
    const dir = tempDir();
    const header = 'sepal_length,sepal_width,petal_length,petal_width\n';
    const longCsv = path.join(dir, 'long.csv');
    writeFileSync(longCsv, header + Array.from({ length: 60_000 }, (_, i) => `${(i % 80) / 10},${(i % 40) / 10},${(i % 70) / 10},${(i % 25) / 10}\n`).join(''));
    const shortCsv = path.join(dir, 'short.csv');
    writeFileSync(shortCsv, header + '5.1,3.5,1.4,0.2\n6.2,2.9,4.3,1.3\n');
    const config = {
      scriptSpec: scriptSpec(path.join(code, 'onnx-long-run'), 'score.js', { modelPath: MLP_MODEL_DIR }),
      tabularSpec: { kind: 'tabular', modelPath: MLP_MODEL_DIR, environmentVariables: {}, loggingLevel: 'Info' } satisfies ScorerSpec,
      longCsv,
      shortCsv,
    };
    // A process of its own: stopping a thread inside a native call used to abort the whole
    // process ("terminate called after throwing an instance of 'Napi::Error'").
    const child = spawnSync(process.execPath, [path.join(__dirname, 'nativeTimeoutHost.cjs'), JSON.stringify(config)], {
      env: { ...process.env, SCORER_POOL_MODULE: path.join(REPO, 'dist', 'lib', 'scoring', 'runtime', 'scorerPool.js') },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(child.stderr).not.toContain('terminate called');
    expect({ status: child.status, signal: child.signal }).toEqual({ status: 0, signal: null });
    const report = JSON.parse(child.stdout);

    // The clock ran out inside run()'s one long session.run() (its log line came first).
    expect(report.scriptTimedOut).toEqual({
      ok: false,
      code: 'Timeout',
      message: 'mini-batch 1 timed out after 0.3 s',
      logs: [{ level: 'info', message: 'scoring 200000 rows in one ONNX Runtime call' }],
    });
    expect(report.scriptNext).toMatchObject({ ok: true, succeededItems: 1, output: 'short.csv,100\n' });
    for (const [i, timedOut] of report.tabularTimedOut.entries()) {
      expect(timedOut).toMatchObject({ ok: false, code: 'Timeout', message: `mini-batch 3 timed out after ${[0.15, 0.25, 0.35][i]} s` });
    }
    expect(report.tabularNext).toMatchObject({ ok: true, succeededItems: 1, outputRows: 2 });
    expect(report.tabularNext.output).toMatch(/^0,\d,short\.csv\n1,\d,short\.csv\n$/);
  });
});
