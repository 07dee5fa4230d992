import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BlobServiceClient } from '@azure/storage-blob';
import { join } from 'node:path';
import { keys, repoRoot, spawnHost, uniqueHub, waitForCompletion, type SpawnedHost } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
const hub = uniqueHub('EpisodeFail');
let host: SpawnedHost;

beforeAll(async () => {
  host = await spawnHost({ appDir, connectionString: inject('storageConnectionString'), env: { TEST_HUB: hub, SLOW_ECHO_MS: '1200' } });
});
afterAll(async () => {
  await host?.stop();
});

describe('devhost episode failures', () => {
  it('keeps the events of an episode whose history commit fails, and completes once storage accepts it again', async () => {
    const id = `lease-${Date.now()}`;
    const started = await fetch(`${host.url}/api/start/fanOut/${id}`, { method: 'POST', body: JSON.stringify({ count: 5, activity: 'slowEcho' }) });
    expect(started.status).toBe(202);

    // The first episode commits the history blob; a lease taken on it by someone else makes
    // every later commit fail (412 LeaseIdMissing) until it is released: a real storage failure.
    const container = BlobServiceClient.fromConnectionString(inject('storageConnectionString')).getContainerClient(`${hub.toLowerCase()}-history`);
    let blobName: string | undefined;
    for (let i = 0; i < 200 && !blobName; i++) {
      for await (const item of container.listBlobsFlat({ prefix: `${id}/` })) blobName = item.name;
      if (!blobName) await new Promise((r) => setTimeout(r, 10));
    }
    expect(blobName).toBeDefined();
    const lease = container.getBlobClient(blobName!).getBlobLeaseClient();
    await lease.acquireLease(-1);
    // The five activities finish while the lease is held: their episode fails at least once.
    await new Promise((r) => setTimeout(r, 3500));
    expect(host.output()).toContain('failed in the host');
    await lease.releaseLease();

    const status = await waitForCompletion(`${host.url}/runtime/webhooks/durabletask/instances/${id}?code=${keys.masterKey}`, 30_000);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual([0, 1, 2, 3, 4]);
  });
});
