import { AUTH_DISABLED_CALLER } from '../../../lib/auth';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, useTestStorage } from './call';

let m: typeof import('../../../functions/management/datastores');

beforeAll(async () => {
  useTestStorage('mgmtdatastores', { WORKSPACE_BLOB_CONTAINER: 'appdata' });
  m = await import('../../../functions/management/datastores');
});

const blob = { datastoreType: 'AzureBlob', accountName: 'acct1', containerName: 'inputs' };
const put = (name: string, body: unknown) => call(m.putDatastore, { method: 'PUT', path: `datastores/${name}`, params: { name }, body });

describe('datastores routes', () => {
  it('GET workspaceblobstore: always there, the default, in the configured container', async () => {
    const res = await call(m.getDatastore, { method: 'GET', path: 'datastores/workspaceblobstore', params: { name: 'workspaceblobstore' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: '/api/datastores/workspaceblobstore',
      name: 'workspaceblobstore',
      type: 'Microsoft.MachineLearningServices/workspaces/datastores',
      properties: { datastoreType: 'AzureBlob', containerName: 'appdata', accountName: 'devstoreaccount1', isDefault: true },
      systemData: { createdBy: 'system' },
    });
  });

  it('workspaceblobstore cannot be deleted or replaced', async () => {
    const del = await call(m.deleteDatastore, { method: 'DELETE', path: 'datastores/workspaceblobstore', params: { name: 'workspaceblobstore' } });
    expect([del.status, del.body.error.code]).toEqual([409, 'BuiltInDatastore']);
    const rep = await put('WorkspaceBlobStore', { properties: blob });
    expect([rep.status, rep.body.error.code]).toEqual([409, 'BuiltInDatastore']);
    // Nor can the blob-drop inbox.
    const inbox = await call(m.deleteDatastore, { method: 'DELETE', path: 'datastores/batch_inbox', params: { name: 'batch_inbox' } });
    expect([inbox.status, inbox.body.error.code]).toEqual([409, 'BuiltInDatastore']);
  });

  it('PUT creates (201) with defaults, PUT again replaces (200), GET and list show it', async () => {
    const created = await put('inputs', { properties: blob });
    expect(created.status).toBe(201);
    expect(created.body.properties).toEqual({
      ...blob,
      endpoint: 'core.windows.net',
      protocol: 'https',
      credentials: { credentialsType: 'None' },
      isDefault: false,
    });
    expect(created.body.systemData).toMatchObject({ createdBy: AUTH_DISABLED_CALLER.name, lastModifiedBy: AUTH_DISABLED_CALLER.name });
    // Locally, the configured emulator (the app's own blob service) is a valid serviceUri.
    const emulator = /BlobEndpoint=([^;]+)/.exec(process.env.AzureWebJobsStorage!)![1]!;
    const replaced = await put('inputs', { properties: { ...blob, description: 'scoring inputs', serviceUri: emulator } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.properties.description).toBe('scoring inputs');
    const got = await call(m.getDatastore, { method: 'GET', path: 'datastores/inputs', params: { name: 'inputs' } });
    expect(got.body.properties.serviceUri).toBe(emulator);
    const list = await call(m.listDatastores, { method: 'GET', path: 'datastores' });
    // The built-ins first (workspaceblobstore, then the blob-drop inbox and outbox), then by name.
    expect(list.body.value.map((d: { name: string }) => d.name)).toEqual(['workspaceblobstore', 'batch_inbox', 'batch_outbox', 'inputs']);
    expect(list.body.value.filter((d: { properties: { isDefault: boolean } }) => d.properties.isDefault).map((d: { name: string }) => d.name)).toEqual(['workspaceblobstore']);
  });

  it('DELETE: 200 when deleted, then 204 and GET 404', async () => {
    await put('scratch', { properties: blob });
    const del = (name: string) => call(m.deleteDatastore, { method: 'DELETE', path: `datastores/${name}`, params: { name } });
    expect((await del('scratch')).status).toBe(200);
    expect((await del('scratch')).status).toBe(204);
    const got = await call(m.getDatastore, { method: 'GET', path: 'datastores/scratch', params: { name: 'scratch' } });
    expect(got.status).toBe(404);
    expect(got.body.error).toMatchObject({ code: 'NotFound', message: "Datastore 'scratch' was not found." });
  });

  it('refuses unknown fields, keys and SAS credentials, and http to other hosts, naming each field', async () => {
    const res = await put('bad', {
      properties: {
        ...blob,
        accountName: 'Not_Valid',
        accountKey: 'secret',
        credentials: { credentialsType: 'Sas' },
        serviceUri: 'http://attacker.example.com',
      },
    });
    expect([res.status, res.body.error.code]).toEqual([400, 'ValidationError']);
    const targets = res.body.error.details.map((d: { target: string }) => d.target);
    expect(targets).toEqual(
      expect.arrayContaining(['properties.accountName', 'properties.accountKey', 'properties.credentials.credentialsType', 'properties.serviceUri']),
    );
    expect(res.body.error.message).toContain('properties.accountKey is not a known field');
  });

  it('refuses bad names, malformed JSON, pollution keys and oversized bodies', async () => {
    expect((await put('bad/name', { properties: blob })).body.error.code).toBe('InvalidName');
    const malformed = await call(m.putDatastore, { method: 'PUT', path: 'datastores/x', params: { name: 'x' }, raw: '{"properties":' });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'InvalidJson']);
    const polluted = await call(m.putDatastore, {
      method: 'PUT',
      path: 'datastores/x',
      params: { name: 'x' },
      raw: `{"properties":{"datastoreType":"AzureBlob","accountName":"acct1","containerName":"inputs","tags":{"__proto__":{"isAdmin":true}}}}`,
    });
    expect([polluted.status, polluted.body.error.code]).toEqual([400, 'ForbiddenJsonKey']);
    const huge = await put('x', { properties: { ...blob, description: 'x'.repeat(40 * 1024) } });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'PayloadTooLarge']);
    const empty = await call(m.putDatastore, { method: 'PUT', path: 'datastores/x', params: { name: 'x' } });
    expect([empty.status, empty.body.error.code]).toEqual([400, 'MissingBody']);
  });
});
