import { describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { keys, repoRoot, spawnHost, uniqueHub, waitForCompletion, type SpawnedHost } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
type HistoryEvent = { EventType: string; TaskScheduledId?: number };

async function withHost<T>(env: Record<string, string>, body: (host: SpawnedHost, hub: string) => Promise<T>): Promise<T> {
  const hub = uniqueHub('Faults');
  const host = await spawnHost({ appDir, connectionString: inject('storageConnectionString'), env: { TEST_HUB: hub, ...env } });
  try {
    return await body(host, hub);
  } finally {
    await host.stop();
  }
}

async function run(host: SpawnedHost, name: string, input: unknown) {
  const res = await fetch(`${host.url}/api/start/${name}`, { method: 'POST', body: JSON.stringify(input) });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  return waitForCompletion(`${host.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&code=${keys.masterKey}`, 60_000);
}

/** The stored history (devhost's own layout: one JSON event per line), episode markers included. */
async function storedHistory(hub: string, instanceId: string): Promise<{ EventType: number }[]> {
  const container = BlobServiceClient.fromConnectionString(inject('storageConnectionString')).getContainerClient(`${hub.toLowerCase()}-history`);
  let text = '';
  for await (const item of container.listBlobsFlat({ prefix: `${instanceId}/` })) {
    text += (await container.getBlockBlobClient(item.name).downloadToBuffer()).toString('utf8');
  }
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('devhost fault injection', () => {
  it('runs every activity twice with DEVHOST_FAULT_DUPLICATE_ACTIVITY=1 and still uses each result once', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'dup-')), 'executions.log');
    await withHost({ DEVHOST_FAULT_DUPLICATE_ACTIVITY: '1', SLOW_ECHO_MS: '30', ECHO_LOG: log }, async (host) => {
      const status = await run(host, 'fanOut', { count: 40, activity: 'slowEcho' });
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual(range(40));
      expect((status.historyEvents as HistoryEvent[]).filter((e) => e.EventType === 'TaskCompleted')).toHaveLength(40);
      // The late duplicates finish after the orchestration did.
      let executions: number[] = [];
      for (let i = 0; i < 100 && executions.length < 80; i++) {
        executions = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map(Number) : [];
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(executions).toHaveLength(80);
      for (const value of range(40)) expect(executions.filter((v) => v === value)).toHaveLength(2);
    });
  });

  it('delivers completions out of order with DEVHOST_FAULT_REORDER and the results still land in order', async () => {
    await withHost({ DEVHOST_FAULT_REORDER: 'true' }, async (host) => {
      const status = await run(host, 'fanOut', { count: 60 });
      expect(status.output).toEqual(range(60));
      const order = (status.historyEvents as HistoryEvent[]).filter((e) => e.EventType === 'TaskCompleted').map((e) => e.TaskScheduledId!);
      expect(order).toHaveLength(60);
      expect(order).not.toEqual([...order].sort((a, b) => a - b));
    });
  });

  it('retries episodes failed before commit (DEVHOST_FAULT_EPISODE_FAIL) and every instance completes right', async () => {
    await withHost({ DEVHOST_FAULT_EPISODE_FAIL: '0.3' }, async (host) => {
      const [fan, timer, parent, counter] = await Promise.all([
        run(host, 'fanOut', { count: 30 }),
        run(host, 'timerThenEcho', { delayMs: 300 }),
        run(host, 'parent', [1, 2, 3]),
        run(host, 'counter', 0),
      ]);
      expect(fan.output).toEqual(range(30));
      expect(timer.output.echoed).toBe('after-timer');
      expect(parent.output.results).toEqual([2, 4, 6]);
      expect(counter.output).toBe('done at 3');
      for (const status of [fan, timer, parent]) {
        const scheduled = (status.historyEvents as HistoryEvent[]).filter((e) => e.EventType === 'TaskScheduled' || e.EventType === 'SubOrchestrationInstanceCreated');
        const completed = (status.historyEvents as HistoryEvent[]).filter((e) => e.TaskScheduledId !== undefined);
        expect(new Set(completed.map((e) => e.TaskScheduledId)).size).toBe(completed.length); // each once
        expect(completed.length).toBe(scheduled.length);
      }
      expect(host.output()).toContain('Injected episode failure before commit');
    });
  });

  it('takes at most 32 messages per episode in azure mode (DEVHOST_EPISODE_MODE=azure)', async () => {
    await withHost({ DEVHOST_EPISODE_MODE: 'azure' }, async (host, hub) => {
      const status = await run(host, 'fanOut', { count: 200 });
      expect(status.output).toEqual(range(200));
      const perEpisode: number[] = [];
      for (const e of await storedHistory(hub, status.instanceId)) {
        if (e.EventType === 12) perEpisode.push(0); // OrchestratorStarted
        else if (e.EventType === 5) perEpisode[perEpisode.length - 1]++; // TaskCompleted
      }
      expect(Math.max(...perEpisode)).toBeLessThanOrEqual(32);
      expect(perEpisode.reduce((a, b) => a + b, 0)).toBe(200);
      expect(perEpisode.length).toBeGreaterThanOrEqual(1 + Math.ceil(200 / 32));
    });
  });

  it('refuses a fault setting out of range with a clear message', async () => {
    await expect(withHost({ DEVHOST_FAULT_EPISODE_FAIL: '2' }, async () => undefined)).rejects.toThrow(
      "DEVHOST_FAULT_EPISODE_FAIL must be a share between 0 and 1 (found '2')",
    );
  });
});
