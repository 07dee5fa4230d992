import { describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys, repoRoot, spawnHost, uniqueHub, waitForCompletion } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
const COUNT = 300;

async function completedActivities(url: string, id: string): Promise<number> {
  const res = await fetch(`${url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&code=${keys.masterKey}`);
  if (res.status === 404) return 0;
  const body = (await res.json()) as { historyEvents?: { EventType: string }[] };
  return (body.historyEvents ?? []).filter((e) => e.EventType === 'TaskCompleted').length;
}

async function crashMidway(signal: 'SIGKILL' | 'SIGTERM') {
  const connectionString = inject('storageConnectionString');
  const log = join(mkdtempSync(join(tmpdir(), 'crash-')), 'executions.log');
  const env = { TEST_HUB: uniqueHub('Crash'), SLOW_ECHO_MS: '30', ECHO_LOG: log };
  const first = await spawnHost({ appDir, connectionString, env });
  const id = `crash-${signal}-${Date.now()}`;
  const started = await fetch(`${first.url}/api/start/fanOut/${id}`, { method: 'POST', body: JSON.stringify({ count: COUNT, activity: 'slowEcho' }) });
  expect(started.status).toBe(202);

  // Wait until part of the fan-out is committed, then take the host down.
  let committed = 0;
  const deadline = Date.now() + 30_000;
  while (committed < 40 && Date.now() < deadline) {
    committed = await completedActivities(first.url, id);
    await new Promise((r) => setTimeout(r, 10));
  }
  if (signal === 'SIGKILL') await first.kill();
  else expect(await first.stop()).toBe(0);
  const executedBefore = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0;
  expect(committed).toBeGreaterThanOrEqual(40);
  expect(executedBefore).toBeLessThan(COUNT); // the crash really came in the middle

  const second = await spawnHost({ appDir, connectionString, env });
  try {
    const status = await waitForCompletion(`${second.url}/runtime/webhooks/durabletask/instances/${id}?code=${keys.masterKey}`);
    expect(status.runtimeStatus).toBe('Completed');
    // Every activity's result exactly once, in order.
    expect(status.output).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    const executions = readFileSync(log, 'utf8').trim().split('\n').map(Number);
    expect(new Set(executions).size).toBe(COUNT);
    return { committedBeforeCrash: committed, executions: executions.length };
  } finally {
    await second.stop();
  }
}

describe('devhost durability', () => {
  it(`resumes an orchestration of ${COUNT} activities after SIGKILL and completes it with every result exactly once`, async () => {
    const { executions } = await crashMidway('SIGKILL');
    // At-least-once: activities running at the kill may run again, none is lost.
    expect(executions).toBeGreaterThanOrEqual(COUNT);
  });

  it('shuts down cleanly on SIGTERM mid-orchestration and finishes the rest after restart', async () => {
    await crashMidway('SIGTERM');
  });
});
