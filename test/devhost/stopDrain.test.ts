import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { keys, repoRoot, uniqueHub } from '../support/devhost';

// devhost embedded in a process (startHost, as the stack and tests use it) must let the process
// end once stop() returns, also when an activity outlived the shutdown deadline: nothing of the
// host may keep the event loop alive (its drain poll did, for ever, every 20 ms).

const appDir = join(repoRoot, 'test', 'apps', 'durable');

describe('devhost stop with an activity still running past the deadline', () => {
  it('returns, and the process then ends by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stop-drain-'));
    const mark = join(dir, 'hang-started');
    const script = join(dir, 'embed.cjs');
    writeFileSync(
      script,
      `const fs = require('node:fs');
const { startHost } = require(${JSON.stringify(join(repoRoot, 'dist', 'devhost', 'host.js'))});
(async () => {
  const host = await startHost({ appDir: ${JSON.stringify(appDir)}, port: 0, shutdownTimeoutMs: 300, logLevel: 'warn' });
  const res = await fetch(host.url + '/api/start/fanOut', { method: 'POST', body: JSON.stringify({ count: 1, activity: 'hang' }) });
  if (res.status !== 202) throw new Error('start answered ' + res.status);
  while (!fs.existsSync(${JSON.stringify(mark)})) await new Promise((r) => setTimeout(r, 20));
  await host.stop();
  process.stdout.write('stopped\\n');
})().catch((err) => { console.error(err); process.exit(2); });
`,
    );
    const child = spawn(process.execPath, [script], {
      env: {
        ...process.env,
        AzureWebJobsStorage: inject('storageConnectionString'),
        TEST_HUB: uniqueHub('StopDrain'),
        HANG_MARK: mark,
        DEVHOST_FUNCTION_KEY: keys.functionKey,
        DEVHOST_MASTER_KEY: keys.masterKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const stopped = async () => {
        while (!output.includes('stopped')) {
          if (child.exitCode !== null) throw new Error(`exited before stopping:\n${output}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await Promise.race([stopped(), new Promise((_, reject) => setTimeout(() => reject(new Error(`not stopped in 60 s:\n${output}`)), 60_000))]);
      const ended = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 10_000))]);
      expect(ended, output).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
