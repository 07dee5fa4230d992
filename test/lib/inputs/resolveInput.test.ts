import { beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveJobInput, validateInputUri, type DataDeps } from '../../../lib/inputs/resolveInput';
import type { Caller } from '../../../lib/auth/caller';
import { openRegistry } from '../../../lib/registry/open';
import { storageClients } from '../../../lib/storage/clients';
import { failure } from '../../support/failure';

const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
let deps: DataDeps;
let own: string; // the app's blob service URL (Azurite form)


beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  const registry = openRegistry(clients, { table: 'libresolveinputtest', workspaceBlobContainer: 'resolvews' });
  deps = { registry, blob: clients.blob };
  own = clients.blob.url.replace(/\/$/, '');
  await registry.datastores.put('Lake', { properties: { datastoreType: 'AzureBlob', accountName: 'lakeacct', containerName: 'raw' } }, alice);
  for (const v of ['1', '2']) {
    await registry.data.put('heart', v, { properties: { dataType: 'uri_folder', dataUri: `azureml://datastores/workspaceblobstore/paths/heart/v${v}/` } }, alice);
  }
  await registry.data.put('one', '1', { properties: { dataType: 'uri_file', dataUri: 'https://lakeacct.blob.core.windows.net/raw/one.csv' } }, alice);
});

describe('validateInputUri: datastore paths', () => {
  it('resolves to the datastore (name as registered) and a canonical URI', async () => {
    const r = await validateInputUri('azureml://datastores/lake/paths/a/b%20c/', 'UriFolder', deps);
    expect(r.location).toEqual({ kind: 'datastore', datastore: 'Lake', path: 'a/b c/' });
    expect(r.resolvedUri).toBe('azureml://datastores/Lake/paths/a/b c/');
    const file = await validateInputUri('azureml://datastores/workspaceblobstore/paths/x.csv', 'UriFile', deps);
    expect(file.location).toEqual({ kind: 'datastore', datastore: 'workspaceblobstore', path: 'x.csv' });
  });

  it("accepts the long workspace form Azure ML's studio copies", async () => {
    const long = 'azureml://subscriptions/s/resourcegroups/rg/workspaces/w/datastores/workspaceblobstore/paths/heart/';
    const r = await validateInputUri(long, 'UriFolder', deps);
    expect(r.resolvedUri).toBe('azureml://datastores/workspaceblobstore/paths/heart/');
    expect(r.uri).toBe(long);
  });

  it('refuses a missing datastore, traversal, and a folder as a file, naming the field', async () => {
    const missing = await failure(validateInputUri('azureml://datastores/nope/paths/x/', 'UriFolder', deps, 'properties.inputData.d.uri'));
    expect([missing.status, missing.code, missing.target]).toEqual([400, 'InvalidReference', 'properties.inputData.d.uri']);
    expect(missing.message).toContain("datastore 'nope' does not exist");
    for (const bad of ['azureml://datastores/lake/paths/a/../../b', 'azureml://datastores/lake/paths/a/%2e%2e/b', 'azureml://datastores/lake/paths/a%2Fb']) {
      const err = await failure(validateInputUri(bad, 'UriFolder', deps, 'f'));
      expect([err.status, err.code, err.target]).toEqual([400, 'InvalidInputPath', 'f']);
      expect(err.message).toContain(bad);
    }
    const folder = await failure(validateInputUri('azureml://datastores/lake/paths/dir/', 'UriFile', deps));
    expect(folder.message).toContain('a UriFile input needs the path of one file');
  });
});

describe('validateInputUri: data assets', () => {
  it('pins @latest and a version to the asset dataUri', async () => {
    const latest = await validateInputUri('azureml:heart@latest', 'UriFolder', deps);
    expect(latest.asset).toEqual({ name: 'heart', version: '2' });
    expect(latest.resolvedUri).toBe('azureml://datastores/workspaceblobstore/paths/heart/v2/');
    expect(latest.location).toEqual({ kind: 'datastore', datastore: 'workspaceblobstore', path: 'heart/v2/' });
    expect((await validateInputUri('azureml:heart:1', 'UriFolder', deps)).resolvedUri).toContain('/heart/v1/');
    const file = await validateInputUri('azureml:one:1', 'UriFile', deps);
    expect(file.location).toEqual({ kind: 'blob', serviceUri: 'https://lakeacct.blob.core.windows.net', container: 'raw', path: 'one.csv' });
  });

  it('refuses a type that does not fit, and missing assets', async () => {
    const asFile = await failure(validateInputUri('azureml:heart:1', 'UriFile', deps, 'f'));
    expect([asFile.code, asFile.target]).toEqual(['InvalidInput', 'f']);
    expect(asFile.message).toBe("Data asset 'heart:1' is a uri_folder; use it as a UriFolder input, not UriFile.");
    expect((await failure(validateInputUri('azureml:one@latest', 'UriFolder', deps))).message).toContain('is a uri_file');
    const missing = await failure(validateInputUri('azureml:heart:9', 'UriFolder', deps, 'f'));
    expect([missing.status, missing.code]).toEqual([400, 'InvalidReference']);
    expect(missing.message).toContain("version '9' does not exist");
    expect((await failure(validateInputUri('azureml:nothing@latest', 'UriFolder', deps))).message).toContain('has no versions');
    expect((await failure(validateInputUri('azureml:bad name', 'UriFolder', deps))).code).toBe('InvalidInput');
  });

  it('uses the pinned resolvedUri of a job input when there is one', async () => {
    const r = await resolveJobInput(
      { name: 'd', type: 'UriFolder', uri: 'azureml:heart@latest', resolvedUri: 'azureml://datastores/workspaceblobstore/paths/heart/v1/' },
      deps,
    );
    expect(r.uri).toBe('azureml:heart@latest');
    expect(r.location).toMatchObject({ path: 'heart/v1/' });
  });
});

describe('validateInputUri: URLs', () => {
  it("maps the app's own account (Azurite form) to its clients for datastore containers only", async () => {
    const r = await validateInputUri(`${own}/resolvews/dir/a%20b.csv`, 'UriFile', deps);
    expect(r.location).toEqual({ kind: 'blob', serviceUri: own, container: 'resolvews', path: 'dir/a b.csv' });
    const internal = await failure(validateInputUri(`${own}/somecontainer/dir/a.csv`, 'UriFile', deps));
    expect(internal.code).toBe('InputNotAllowed');
    expect(internal.message).toContain("container 'somecontainer'");
  });

  it('takes Azure blob URLs of other accounts, without SAS tokens', async () => {
    const r = await validateInputUri('https://OtherAcct.blob.core.windows.net/data/folder/', 'UriFolder', deps);
    expect(r.location).toEqual({ kind: 'blob', serviceUri: 'https://otheracct.blob.core.windows.net', container: 'data', path: 'folder/' });
    const sas = await failure(validateInputUri('https://acct.blob.core.windows.net/data/x.csv?sv=2020&sig=abc', 'UriFile', deps));
    expect(sas.message).toContain('SAS tokens are not needed');
    expect((await failure(validateInputUri('https://acct.blob.core.windows.net/Bad_Container/x', 'UriFile', deps))).message).toContain('blob container');
    expect((await failure(validateInputUri(`${own}/ccc/a/../../x`, 'UriFile', deps))).code).toBe('InvalidInputPath');
  });

  it('takes public https files as UriFile only, and refuses other schemes', async () => {
    const r = await validateInputUri('https://example.com/data/file.csv?raw=1', 'UriFile', deps);
    expect(r.location).toEqual({ kind: 'https', url: 'https://example.com/data/file.csv?raw=1' });
    expect((await failure(validateInputUri('https://example.com/data/', 'UriFolder', deps))).message).toContain('can only be a UriFile input');
    expect((await failure(validateInputUri('http://example.com/x.csv', 'UriFile', deps))).message).toContain('only https://');
    expect((await failure(validateInputUri('http://127.0.0.1:1/otheraccount/c/x.csv', 'UriFile', deps))).code).toBe('InvalidInput');
    expect((await failure(validateInputUri('https://user:pw@example.com/x.csv', 'UriFile', deps))).message).toContain('user name or password');
    for (const uri of ['s3://bucket/x', 'wasbs://c@acct.blob.core.windows.net/x', '/local/path', '']) {
      expect((await failure(validateInputUri(uri, 'UriFile', deps))).code).toBe('InvalidInput');
    }
  });
});
