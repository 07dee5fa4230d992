import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startAzurite } from '../../devhost/azurite';
import { keys, repoRoot, spawnHost, uniqueHub, waitForCompletion } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
const COUNT = 200;

describe('devhost through a storage outage', () => {
  it("completes a fan-out whose storage stops for 60 s mid-run and comes back, without a host restart, every result once", async () => {
    const location = mkdtempSync(join(tmpdir(), 'outage-'));
    const ports = { blobPort: await freePort(), queuePort: await freePort(), tablePort: await freePort() };
    let azurite = await startAzurite({ location, ...ports });
    const log = join(location, 'executions.log');
    const host = await spawnHost({ appDir, connectionString: azurite.connectionString, env: { TEST_HUB: uniqueHub('Outage'), SLOW_ECHO_MS: '30', ECHO_LOG: log } });
    const id = `outage-${Date.now()}`;
    try {
      expect((await fetch(`${host.url}/api/start/fanOut/${id}`, { method: 'POST', body: JSON.stringify({ count: COUNT, activity: 'slowEcho' }) })).status).toBe(202);
      const ran = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);
      while (ran() < 30) await new Promise((r) => setTimeout(r, 20));
      await azurite.stop(); // storage gone while activities keep finishing
      await new Promise((r) => setTimeout(r, 60_000)); // longer than the storage clients retry
      expect(ran()).toBeLessThan(COUNT + 50);
      azurite = await startAzurite({ location, ...ports });
      const status = await waitForCompletion(`${host.url}/runtime/webhooks/durabletask/instances/${id}?code=${keys.masterKey}`, 120_000);
      expect(status.runtimeStatus).toBe('Completed');
      expect(status.output).toEqual(Array.from({ length: COUNT }, (_, i) => i));
    } finally {
      await host.stop();
      await azurite.stop();
    }
  }, 180_000);
});
