import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, newPipeline, type RequestPolicy, type WebResource } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiError } from '../../../lib/http/apiError';
import { downloadInputBytes, downloadInputFile, localPathFor } from '../../../lib/inputs/download';
import { testOnlyAddressPolicy } from '../../../lib/inputs/ipPolicy';
import { listInputFiles, relativeNameProblem } from '../../../lib/inputs/listFiles';
import type { DataDeps } from '../../../lib/inputs/resolveInput';
import type { InputFile, JobDataInput } from '../../../lib/jobs/types';
import type { Caller } from '../../../lib/auth/caller';
import { openRegistry } from '../../../lib/registry/open';
import { storageClients } from '../../../lib/storage/clients';
import { startTestServer, type TestServer } from './support/httpsTestServer';
import { countingRegistry } from '../../support/countingRegistry';
import { failure } from '../../support/failure';

const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
const WS = 'listws';
let deps: DataDeps;
let blob: BlobServiceClient;
let own: string;
let server: TestServer;
let dest: string;


async function put(container: string, names: string[], metadata?: Record<string, string>): Promise<void> {
  const c = blob.getContainerClient(container);
  await c.createIfNotExists();
  for (const name of names) await c.getBlockBlobClient(name).upload(`content of ${name}`, Buffer.byteLength(`content of ${name}`), metadata ? { metadata } : {});
}

const folder = (uri: string): JobDataInput => ({ name: 'data', type: 'UriFolder', uri });
const file = (uri: string): JobDataInput => ({ name: 'data', type: 'UriFile', uri });
const names = (files: InputFile[]) => files.map((f) => f.name);

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  blob = clients.blob;
  own = blob.url.replace(/\/$/, '');
  server = await startTestServer((req, res) => {
    if (req.url === '/files/scores.csv') res.end('a,b\n1,2\n');
    else res.writeHead(404).end();
  });
  const registry = openRegistry(clients, { table: 'liblistfilestest', workspaceBlobContainer: WS });
  deps = {
    registry,
    blob,
    fetch: { ca: server.ca, policy: testOnlyAddressPolicy([`127.0.0.1:${server.port}`, `[::1]:${server.port}`]), resolve: async () => [{ address: '127.0.0.1', family: 4 }] },
  };
  // Uploaded out of order on purpose: the listing order must not depend on it.
  await put(WS, ['heart/z.csv', 'heart/b/c.csv', 'heart/a.csv', 'heart/b/_SUCCESS', 'heart/.hidden', 'heart/_temporary/0/part.csv', 'heart/b/.DS_Store']);
  await put(WS, ['heart2/sibling.csv', 'markers/_SUCCESS', 'markers/.keep', 'one/file.csv', 'folderish/inner/x.csv', 'weird/a//b.csv']);
  await put(WS, ['heart/dir/'], {}); // a "folder" placeholder blob
  await put(WS, ['heart/adls'], { hdi_isfolder: 'true' });
  await put('othercontainer', ['in/p1.csv', 'in/deep/p2.csv']);
  await registry.datastores.put('mystore', { properties: { datastoreType: 'AzureBlob', accountName: 'devstoreaccount1', containerName: 'othercontainer', serviceUri: own } }, alice);
  await registry.data.put('heart', '1', { properties: { dataType: 'uri_folder', dataUri: `azureml://datastores/workspaceblobstore/paths/heart2` } }, alice);
  await registry.data.put('heart', '2', { properties: { dataType: 'uri_folder', dataUri: `azureml://datastores/workspaceblobstore/paths/heart/` } }, alice);
  dest = await mkdtemp(join(tmpdir(), 'listfiles-'));
});

afterAll(async () => {
  await server?.close();
  if (dest) await rm(dest, { recursive: true, force: true });
});

describe('listInputFiles: folders', () => {
  it('lists recursively, sorted by relative name, skipping markers, hidden files and folder blobs', async () => {
    const files = await listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/heart/'), deps);
    expect(names(files)).toEqual(['a.csv', 'b/c.csv', 'z.csv']);
    expect(files[1]).toEqual({ name: 'b/c.csv', ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'heart/b/c.csv' }, size: 'content of heart/b/c.csv'.length });
  });

  it('treats a path without a trailing slash as the folder, not as a name prefix', async () => {
    expect(names(await listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/heart'), deps))).toEqual(['a.csv', 'b/c.csv', 'z.csv']);
  });

  it('gives the same order every time', async () => {
    const a = await listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/heart/'), deps);
    const b = await listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/heart/'), deps);
    expect(b).toEqual(a);
  });

  it('fails an empty folder with InputEmpty naming the URI', async () => {
    const onlyMarkers = await failure(listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/markers/'), deps));
    expect(onlyMarkers.code).toBe('InputEmpty');
    expect(onlyMarkers.message).toBe(
      "The input folder 'azureml://datastores/workspaceblobstore/paths/markers/' has no files (2 skipped: names starting with '.' or '_' are markers or hidden files).",
    );
    const nothing = await failure(listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/nothing-here/'), deps));
    expect(nothing.message).toBe("The input folder 'azureml://datastores/workspaceblobstore/paths/nothing-here/' has no files.");
    // A file given as a folder said "has no files" too, though the file is there.
    const isFile = await failure(listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/one/file.csv'), deps));
    expect([isFile.code, isFile.message]).toEqual(['InvalidInput', "The input 'azureml://datastores/workspaceblobstore/paths/one/file.csv' is a file, not a folder: use JobInputType UriFile."]);
  });

  it('refuses a blob name that cannot be a local path', async () => {
    const err = await failure(listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/weird/'), deps));
    expect(err.code).toBe('InvalidInputPath');
    expect(err.message).toContain("'a//b.csv'");
  });

  it('lists a data asset, @latest resolved, and a registered datastore on the app account', async () => {
    expect(names(await listInputFiles(folder('azureml:heart@latest'), deps))).toEqual(['a.csv', 'b/c.csv', 'z.csv']);
    expect(names(await listInputFiles(folder('azureml:heart:1'), deps))).toEqual(['sibling.csv']);
    const pinned = await listInputFiles({ ...folder('azureml:heart@latest'), resolvedUri: 'azureml://datastores/workspaceblobstore/paths/heart2' }, deps);
    expect(names(pinned)).toEqual(['sibling.csv']);
    const other = await listInputFiles(folder('azureml://datastores/mystore/paths/in'), deps);
    expect(other.map((f) => f.ref)).toEqual([
      { kind: 'datastore', datastore: 'mystore', path: 'in/deep/p2.csv' },
      { kind: 'datastore', datastore: 'mystore', path: 'in/p1.csv' },
    ]);
  });

  it("lists a blob URL on the app's account (Azurite's form) in a datastore's container, and refuses other containers", async () => {
    const files = await listInputFiles(folder(`${own}/othercontainer/in/`), deps); // the 'mystore' datastore's container
    expect(names(files)).toEqual(['deep/p2.csv', 'p1.csv']);
    expect(files[1]!.ref).toEqual({ kind: 'blob', serviceUri: own, container: 'othercontainer', path: 'in/p1.csv' });
    // The own account also holds the service's internal state: only datastore containers are reachable.
    expect((await failure(listInputFiles(folder(`${own}/nosuchcontainer/in/`), deps))).code).toBe('InputNotAllowed');
    expect((await failure(listInputFiles(file(`${own}/azure-webjobs-secrets/host.json`), deps))).code).toBe('InputNotAllowed');
  });

  it('refuses traversal before any listing', async () => {
    const err = await failure(listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/heart/../markers/'), deps));
    expect(err.code).toBe('InvalidInputPath');
  });
});

describe('listInputFiles: single files', () => {
  it('lists exactly that blob, which must exist', async () => {
    const files = await listInputFiles(file('azureml://datastores/workspaceblobstore/paths/one/file.csv'), deps);
    expect(files).toEqual([{ name: 'file.csv', ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'one/file.csv' }, size: 'content of one/file.csv'.length }]);
    const missing = await failure(listInputFiles(file('azureml://datastores/workspaceblobstore/paths/one/nope.csv'), deps));
    expect(missing.code).toBe('InputNotFound');
    expect(missing.message).toContain("'azureml://datastores/workspaceblobstore/paths/one/nope.csv'");
    const isFolder = await failure(listInputFiles(file('azureml://datastores/workspaceblobstore/paths/folderish'), deps));
    expect(isFolder.message).toContain('is a folder, not a file: use JobInputType UriFolder');
  });

  it('lists a public https file without fetching it', async () => {
    const files = await listInputFiles(file('https://example.com/dir/my%20scores.csv?x=1'), deps);
    expect(files).toEqual([{ name: 'my scores.csv', ref: { kind: 'https', url: 'https://example.com/dir/my%20scores.csv?x=1' } }]);
    expect(names(await listInputFiles(file('https://example.com/'), deps))).toEqual(['download']);
    expect(names(await listInputFiles(file('https://example.com/a/..%2F..%2Fetc'), deps))).toEqual(['download']);
  });
});

describe('downloadInputFile', () => {
  it('downloads datastore and blob URL files under their relative names', async () => {
    const files = [
      ...(await listInputFiles(folder('azureml://datastores/workspaceblobstore/paths/heart/'), deps)),
      ...(await listInputFiles(folder(`${own}/othercontainer/in/`), deps)),
    ];
    for (const f of files) {
      const local = await downloadInputFile(f, dest, deps);
      expect(local).toBe(join(dest, ...f.name.split('/')));
      const ref = f.ref as { path: string };
      expect(await readFile(local, 'utf8')).toBe(`content of ${ref.path}`);
    }
  });

  it('downloads public https files through safeFetch, and leaves nothing behind on failure', async () => {
    const url = `https://localhost:${server.port}/files/scores.csv`;
    const local = await downloadInputFile({ name: 'scores.csv', ref: { kind: 'https', url } }, join(dest, 'web'), deps);
    expect(await readFile(local, 'utf8')).toBe('a,b\n1,2\n');
    const missing = await failure(downloadInputFile({ name: 'gone.csv', ref: { kind: 'https', url: `https://localhost:${server.port}/gone` } }, join(dest, 'web'), deps));
    expect(missing.code).toBe('InputDownloadFailed');
    const blocked = await failure(
      downloadInputFile({ name: 'x.csv', ref: { kind: 'https', url: `https://localhost:${server.port}/files/scores.csv` } }, join(dest, 'web'), { ...deps, fetch: { ca: server.ca } }),
    );
    expect(blocked.message).toContain('not a public address');
    expect((await readdir(join(dest, 'web'))).sort()).toEqual(['scores.csv']);
  });

  it('maps a missing blob to InputNotFound', async () => {
    const err = await failure(downloadInputFile({ name: 'x.csv', ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'no/such.csv' } }, dest, deps));
    expect(err.code).toBe('InputNotFound');
  });

  it('never writes outside the destination folder', async () => {
    for (const name of ['../x.csv', 'a/../../x.csv', '/etc/passwd', 'a\\..\\x', '', '.', 'a//b', 'a\u0000b']) {
      expect(relativeNameProblem(name)).toBeDefined();
      expect(() => localPathFor(name, dest)).toThrow(ApiError);
      await failure(downloadInputFile({ name, ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'heart/a.csv' } }, dest, deps));
    }
    expect(localPathFor('a/b.csv', dest)).toBe(join(dest, 'a', 'b.csv'));
  });

  it('refuses blob refs that point at a service other than Azure Storage', async () => {
    const ref = { kind: 'blob' as const, serviceUri: 'https://evil.example.com', container: 'ccc', path: 'x.csv' };
    await expect(downloadInputFile({ name: 'x.csv', ref }, dest, deps)).rejects.toThrow(/Refusing to reach blob service/);
  });
});

describe('downloadInputBytes', () => {
  /** `deps` whose blob client records the method of every request it sends. */
  function recordingDeps(): { deps: DataDeps; methods: string[] } {
    const methods: string[] = [];
    const pipeline = newPipeline(blob.credential);
    pipeline.factories.unshift({
      create: (next: RequestPolicy): RequestPolicy => ({ sendRequest: (req: WebResource) => (methods.push(req.method), next.sendRequest(req)) }),
    });
    return { deps: { ...deps, blob: new BlobServiceClient(blob.url, pipeline) }, methods };
  }

  it('reads a blob into bytes with an ArrayBuffer of their own, in one GET (no HEAD first)', async () => {
    // Larger than one socket read, so the body arrives in several chunks.
    const content = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `${i},${i % 7}.5`).join('\n'));
    await blob.getContainerClient(WS).getBlockBlobClient('bytes/big.csv').uploadData(content);
    const { deps: recording, methods } = recordingDeps();
    const bytes = await downloadInputBytes({ name: 'big.csv', ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'bytes/big.csv' } }, recording);
    expect(Buffer.from(bytes).equals(content)).toBe(true);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(content.length);
    expect(methods).toEqual(['GET']);
  });

  it('reads an empty blob, and maps a missing one to InputNotFound', async () => {
    await blob.getContainerClient(WS).getBlockBlobClient('bytes/empty.csv').upload('', 0);
    expect((await downloadInputBytes({ name: 'empty.csv', ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'bytes/empty.csv' } }, deps)).length).toBe(0);
    const err = await failure(downloadInputBytes({ name: 'x.csv', ref: { kind: 'datastore', datastore: 'workspaceblobstore', path: 'no/such.csv' } }, deps));
    expect(err.code).toBe('InputNotFound');
  });
});

describe('registry reads', () => {
  it('listing an input on a user datastore reads that datastore once (resolving it), not again for its container', async () => {
    const { registry, reads } = countingRegistry(deps.registry);
    const files = await listInputFiles(folder('azureml://datastores/mystore/paths/in/'), { ...deps, registry });
    expect(names(files)).toEqual(['deep/p2.csv', 'p1.csv']);
    expect(reads).toEqual({ tryGet: ['mystore'], list: 0 });
  });
});
