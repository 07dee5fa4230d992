import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { guardedAgent } from '../../../lib/inputs/safeFetch';
import { containerFor } from '../../../lib/locations/datastores';
import { openRegistry } from '../../../lib/registry/open';
import { storageClients } from '../../../lib/storage/clients';
import { call, useTestStorage } from './call';

// A datastore decides where the app sends its identity's token (issue 15 item 5): only Azure
// Storage blob endpoints of known clouds, or locally the configured emulator; checked when it is
// registered and again at connect time. A loopback listener stands in for every hostile target
// and must never see a connection.

let m: typeof import('../../../functions/management/datastores');
let listener: Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  useTestStorage('mgmthostileds');
  m = await import('../../../functions/management/datastores');
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

const put = (name: string, properties: Record<string, unknown>) =>
  call(m.putDatastore, { method: 'PUT', path: `datastores/${name}`, params: { name }, body: { properties: { datastoreType: 'AzureBlob', accountName: 'acct1', containerName: 'data', ...properties } } });

describe('hostile datastore service URIs', () => {
  it('are refused at registration with a 400 naming serviceUri (or endpoint); the listener sees no connection', async () => {
    const hostile = [
      'https://169.254.169.254',
      'https://10.0.0.1',
      'https://[::1]',
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port}/devstoreaccount1`, // loopback, but not the configured emulator
      `https://localhost:${port}`,
      'https://evil.example.com',
      'https://acct1.blob.core.windows.net.evil.example.com',
      `https://acct1.blob.core.windows.net:${port}`,
      'https://acct1.blob.core.windows.net/container',
      'http://acct1.blob.core.windows.net',
      'https://user:pw@acct1.blob.core.windows.net',
      'not a url',
    ];
    for (const serviceUri of hostile) {
      const res = await put('hostile', { serviceUri });
      expect([res.status, res.body.error.code], serviceUri).toEqual([400, 'ValidationError']);
      expect(res.body.error.details.map((d: { target: string }) => d.target), serviceUri).toContain('properties.serviceUri');
    }
    const suffix = await put('hostile', { endpoint: 'evil.example.com' });
    expect([suffix.status, suffix.body.error.details[0].target]).toEqual([400, 'properties.endpoint']);
    expect(connections).toBe(0);
  });

  it('accepts Azure blob endpoints of known clouds', async () => {
    for (const serviceUri of ['https://acct1.blob.core.windows.net', 'https://acct1.blob.core.chinacloudapi.cn/', 'https://acct1.blob.core.usgovcloudapi.net']) {
      expect((await put('fine', { serviceUri })).status, serviceUri).toBeLessThan(300);
    }
    expect((await put('fine', { endpoint: 'core.usgovcloudapi.net' })).status).toBeLessThan(300);
  });

  it('a datastore stored before these checks is refused when reached, with a clear error; nothing connects', async () => {
    const clients = storageClients({ connectionString: inject('storageConnectionString') });
    const registry = openRegistry(clients, { table: 'mgmthostileds', workspaceBlobContainer: 'workspaceblobstore' });
    const deps = { registry, blob: clients.blob, agent: guardedAgent() };
    const old = { name: 'old', blobServiceUri: `https://127.0.0.1:${port}`, containerName: 'data', isWorkspaceStore: false };
    const err = await containerFor({ kind: 'datastore', datastore: 'old', path: 'x.csv' }, deps, { store: old }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'DatastoreNotAllowed' });
    expect((err as Error).message).toContain(`https://127.0.0.1:${port}`);
    expect((err as Error).message).not.toMatch(/reading 'segment'/);
    expect(connections).toBe(0);
  });

  it('connect time: an Azure-looking name that resolves to a private or loopback address is refused before any connection', async () => {
    const clients = storageClients({ connectionString: inject('storageConnectionString') });
    const registry = openRegistry(clients, { table: 'mgmthostileds', workspaceBlobContainer: 'workspaceblobstore' });
    for (const address of ['127.0.0.1', '169.254.169.254', '10.0.0.1']) {
      const resolved: string[] = [];
      const agent = guardedAgent(undefined, async (hostname) => (resolved.push(hostname), [{ address, family: 4 }]));
      const store = { name: 'rebound', blobServiceUri: 'https://rebound1.blob.core.windows.net', containerName: 'data', isWorkspaceStore: false };
      const container = await containerFor({ kind: 'datastore', datastore: 'rebound', path: 'x.csv' }, { registry, blob: clients.blob, agent, credential: { getToken: async () => ({ token: 'identity-token', expiresOnTimestamp: Date.now() + 3600_000 }) } }, { store });
      const err = await container.getBlockBlobClient('x.csv').exists().catch((e: unknown) => e);
      expect(resolved, address).toContain('rebound1.blob.core.windows.net');
      expect(String((err as Error).message), address).toMatch(/not a public address/);
    }
    expect(connections).toBe(0);
  });
});
