import { inject, describe, expect, it } from 'vitest';
import { checkHealth } from '../lib/health';
import { storageClients } from '../lib/storage/clients';

describe('checkHealth', () => {
  it('reports every storage service as answering against Azurite', async () => {
    const clients = storageClients({ connectionString: inject('storageConnectionString') });
    const report = await checkHealth(clients, '1.2.3');
    expect(report.status).toBe('Healthy');
    expect(report.storage.blob.ok && report.storage.queue.ok && report.storage.table.ok).toBe(true);
  });

  it('reports a storage account that does not answer as unhealthy instead of throwing', async () => {
    const dead = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=AAAA;' +
      'BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1;' +
      'TableEndpoint=http://127.0.0.1:1/devstoreaccount1;';
    const report = await checkHealth(storageClients({ connectionString: dead }), '1.2.3', 2000);
    expect(report.status).toBe('Unhealthy');
    expect(report.storage.blob.ok).toBe(false);
    expect(report.storage.blob.error).toBeTruthy();
  });
});
