import { describe, expect, inject, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionOf } from '../../devhost/durable/partitions';
import { keys, repoRoot, spawnSharedHosts, uniqueHub, waitForCompletion, type SpawnedHost } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function startHosts(count: number, hub: string, log: string): Promise<SpawnedHost[]> {
  const env = { TEST_HUB: hub, DEVHOST_LEASE_MS: '6000', DEVHOST_WORKITEM_VISIBILITY_MS: '6000', SLOW_ECHO_MS: '20', ECHO_LOG: log };
  return spawnSharedHosts(count, { appDir, connectionString: inject('storageConnectionString'), env, hostEnv: (i) => ({ HOST_TAG: `h${i}` }) });
}

/** Lines `value hostTag` the activity wrote, one per execution. */
function executions(log: string): { value: number; host: string }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
    const [value, host] = l.split(' ');
    return { value: Number(value), host };
  });
}

async function start(host: SpawnedHost, id: string, count: number): Promise<void> {
  const res = await fetch(`${host.url}/api/start/fanOut/${id}`, { method: 'POST', body: JSON.stringify({ count, activity: 'taggedEcho' }) });
  expect(res.status).toBe(202);
}

const statusUrl = (host: SpawnedHost, id: string) => `${host.url}/runtime/webhooks/durabletask/instances/${id}?code=${keys.masterKey}`;

describe('several devhost processes on one task hub', () => {
  it('spreads orchestrations and activities over three hosts and completes every instance exactly once', async () => {
    const hub = uniqueHub('Multi');
    const log = join(mkdtempSync(join(tmpdir(), 'multi-')), 'executions.log');
    const hosts = await startHosts(3, hub, log);
    try {
      const ids = range(6).map((i) => `multi-${i}-${Date.now()}`);
      // Each started through a different host than the one that may own it.
      await Promise.all(ids.map((id, i) => start(hosts[i % 3], id, 30)));
      for (const [i, id] of ids.entries()) {
        const status = await waitForCompletion(statusUrl(hosts[(i + 1) % 3], id), 120_000);
        expect(status.runtimeStatus).toBe('Completed');
        expect(status.output).toEqual(range(30));
      }
      const runs = executions(log);
      expect(runs.length).toBeGreaterThanOrEqual(180);
      expect(new Set(runs.map((r) => r.host)).size).toBe(3); // activities ran on every host
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  }, 150_000);

  it('finishes an instance whose owning host is killed mid-run on the other hosts, every result once', async () => {
    const hub = uniqueHub('MultiKill');
    const log = join(mkdtempSync(join(tmpdir(), 'multikill-')), 'executions.log');
    const hosts = await startHosts(3, hub, log);
    const id = `multikill-${Date.now()}`;
    try {
      await start(hosts[0], id, 300);
      while (executions(log).length < 60) await new Promise((r) => setTimeout(r, 20));
      // Kill the host that runs the orchestration (its partition's lease owner).
      const table = TableClient.fromConnectionString(inject('storageConnectionString'), `${hub}Leases`, { allowInsecureConnection: true });
      const lease = await table.getEntity<{ Owner: string }>('partition', String(partitionOf(id, 4)));
      const owner = hosts.find((h) => lease.Owner.includes(`-${h.child.pid}-`))!;
      expect(owner).toBeDefined();
      await owner.kill();
      const survivor = hosts.find((h) => h !== owner)!;
      const status = await waitForCompletion(statusUrl(survivor, id), 120_000);
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual(range(300));
      const runs = executions(log);
      for (const value of range(300)) expect(runs.some((r) => r.value === value)).toBe(true);
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  }, 150_000);

  it('finishes an instance after every host was killed mid-run and new ones started on the hub', async () => {
    const hub = uniqueHub('MultiAll');
    const log = join(mkdtempSync(join(tmpdir(), 'multiall-')), 'executions.log');
    const first = await startHosts(3, hub, log);
    const id = `multiall-${Date.now()}`;
    let second: SpawnedHost[] = [];
    try {
      await start(first[1], id, 200);
      while (executions(log).length < 40) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(first.map((h) => h.kill()));
      const before = executions(log).length;
      expect(before).toBeLessThan(200); // killed in the middle
      second = await startHosts(2, hub, log);
      const status = await waitForCompletion(statusUrl(second[0], id), 120_000);
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual(range(200));
      const runs = executions(log);
      for (const value of range(200)) expect(runs.some((r) => r.value === value)).toBe(true);
    } finally {
      await Promise.all([...first, ...second].map((h) => h.stop()));
    }
  }, 150_000);
});
