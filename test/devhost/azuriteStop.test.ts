import { describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../../devhost/azurite';

const driver = join(__dirname, 'support', 'azuriteDriver.js');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs the driver in its own process group (as a terminal runs `npm start`), lets its writes race
 * the stop, sends `signals` to the whole group, waits until Azurite is gone, then restarts Azurite
 * on the same folder and checks that every acknowledged write is there.
 */
async function stopWhileWriting(stop: (pgid: number) => void) {
  const location = mkdtempSync(join(tmpdir(), 'azurite-stop-'));
  const child = spawn(process.execPath, [driver, location], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const acks = () => out.split('\n').filter((l) => l.startsWith('ack ')).map((l) => Number(l.slice(4)));
  const deadline = Date.now() + 60_000;
  while (acks().length < 300) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`driver did not get going: ${out.slice(-500)} ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const azuritePid = Number(/ready (\d+)/.exec(out)![1]);
  stop(child.pid!);
  await exited;
  for (let i = 0; i < 600 && alive(azuritePid); i++) await new Promise((r) => setTimeout(r, 100));
  expect(alive(azuritePid)).toBe(false);
  const acknowledged = acks();

  const again = await startAzurite({ location });
  try {
    const table = TableClient.fromConnectionString(again.connectionString, 'acks', { allowInsecureConnection: true });
    const stored = new Set<number>();
    let preloaded = 0;
    for await (const row of table.listEntities()) {
      if (row.partitionKey === 'w') stored.add(Number(row.rowKey));
      else preloaded++;
    }
    const lost = acknowledged.filter((id) => !stored.has(id));
    expect({ preloaded, lost: lost.length, acknowledged: acknowledged.length >= 300 }).toEqual({ preloaded: 3000, lost: 0, acknowledged: true });
  } finally {
    await again.stop();
  }
}

describe('stopping the local stack keeps every acknowledged write in the data folder', () => {
  it('Ctrl+C twice (SIGINT to the whole process group, again during shutdown)', async () => {
    await stopWhileWriting((pgid) => {
      process.kill(-pgid, 'SIGINT');
      setTimeout(() => process.kill(-pgid, 'SIGINT'), 30);
    });
  }, 120_000);

  it('SIGTERM to the process group', async () => {
    await stopWhileWriting((pgid) => process.kill(-pgid, 'SIGTERM'));
  }, 120_000);

  it('the owning process killed outright (SIGKILL): Azurite notices and closes by itself', async () => {
    await stopWhileWriting((pgid) => process.kill(pgid, 'SIGKILL'));
  }, 120_000);
});
