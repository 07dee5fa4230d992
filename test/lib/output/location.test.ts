import type { BlobServiceClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { DataDeps } from '../../../lib/inputs/resolveInput';
import {
  defaultOutputLocation,
  logsLocation,
  outputAlreadyExists,
  outputBlobClient,
  outputExists,
  resolveOutputLocation,
  OutputPlaces,
} from '../../../lib/output/location';
import type { Caller } from '../../../lib/auth/caller';
import { openRegistry } from '../../../lib/registry/open';
import { storageClients } from '../../../lib/storage/clients';
import { countingRegistry } from '../../support/countingRegistry';
import { failure } from '../../support/failure';

const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
const WS = 'outputws';
const JOB = 'batchjob-2zb0lxr1k-a1f3e9c2';
let deps: DataDeps;
let blob: BlobServiceClient;
let own: string;


const resolve = (type: 'UriFile' | 'UriFolder', uri: string, outputFileName = 'predictions.csv') =>
  resolveOutputLocation({ jobId: JOB, outputUri: { type, uri }, outputFileName }, deps);

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  blob = clients.blob;
  own = blob.url.replace(/\/$/, '');
  const registry = openRegistry(clients, { table: 'liboutputtest', workspaceBlobContainer: WS });
  deps = { registry, blob };
  await registry.datastores.put('results', { properties: { datastoreType: 'AzureBlob', accountName: 'devstoreaccount1', containerName: 'results', serviceUri: own } }, alice);
  await registry.datastores.put('remote', { properties: { datastoreType: 'AzureBlob', accountName: 'remoteacct', containerName: 'out' } }, alice);
});

describe('resolveOutputLocation', () => {
  it('defaults to the job folder in workspaceblobstore', async () => {
    const expected = {
      uri: `azureml://datastores/workspaceblobstore/paths/azureml/${JOB}/score/preds.csv`,
      datastore: 'workspaceblobstore',
      path: `azureml/${JOB}/score/preds.csv`,
    };
    expect(await resolveOutputLocation({ jobId: JOB, outputFileName: 'preds.csv' }, deps)).toEqual(expected);
    expect(defaultOutputLocation(JOB, 'preds.csv')).toEqual(expected);
    expect(logsLocation(JOB)).toEqual({
      uri: `azureml://datastores/workspaceblobstore/paths/azureml/${JOB}/logs/`,
      datastore: 'workspaceblobstore',
      path: `azureml/${JOB}/logs/`,
    });
  });

  it('takes a datastore file, or a folder plus outputFileName', async () => {
    expect(await resolve('UriFile', 'azureml://datastores/Results/paths/runs/r1.csv')).toEqual({
      uri: 'azureml://datastores/results/paths/runs/r1.csv',
      datastore: 'results',
      path: 'runs/r1.csv',
    });
    expect(await resolve('UriFolder', 'azureml://datastores/results/paths/runs/', 'p.csv')).toMatchObject({ path: 'runs/p.csv' });
    expect(await resolve('UriFolder', 'azureml://datastores/results/paths/runs', 'p.csv')).toMatchObject({ path: 'runs/p.csv' });
    expect(await resolve('UriFolder', 'azureml://datastores/results/paths/', 'p.csv')).toMatchObject({ path: 'p.csv' });
  });

  it('refuses a folder as a file, missing datastores, traversal, data assets and public URLs', async () => {
    const folder = await failure(resolve('UriFile', 'azureml://datastores/results/paths/runs/'));
    expect([folder.code, folder.target]).toEqual(['InvalidOutput', 'properties.outputData.score.uri']);
    expect(folder.message).toContain('use UriFolder to write predictions.csv in it');
    const missing = await failure(resolve('UriFile', 'azureml://datastores/nope/paths/x.csv'));
    expect([missing.code, missing.message]).toEqual(['InvalidReference', "properties.outputData.score.uri: datastore 'nope' does not exist."]);
    expect((await failure(resolve('UriFile', 'azureml://datastores/results/paths/../x.csv'))).code).toBe('InvalidInputPath');
    expect((await failure(resolve('UriFile', 'azureml:heart:1'))).message).toContain('cannot receive an output');
    expect((await failure(resolve('UriFile', 'https://example.com/x.csv'))).message).toContain('cannot receive an output');
  });

  it('maps blob URLs on known accounts to datastores where one covers the container', async () => {
    expect(await resolve('UriFile', `${own}/${WS}/mine/out.csv`)).toEqual({
      uri: 'azureml://datastores/workspaceblobstore/paths/mine/out.csv',
      datastore: 'workspaceblobstore',
      path: 'mine/out.csv',
    });
    expect(await resolve('UriFile', `${own}/results/a%20b.csv`)).toMatchObject({ datastore: 'results', path: 'a b.csv' });
    expect(await resolve('UriFile', 'https://remoteacct.blob.core.windows.net/out/x.csv')).toMatchObject({ datastore: 'remote', path: 'x.csv' });
    // Containers of the service's own account that no datastore exposes hold its internal state.
    const internal = await failure(resolve('UriFile', `${own}/loose/dir/a%20b.csv`));
    expect(internal.code).toBe('InputNotAllowed');
    const sameAccount = 'https://remoteacct.blob.core.windows.net/other/x.csv';
    expect(await resolve('UriFile', sameAccount)).toEqual({ uri: sameAccount, url: sameAccount });
    const unknown = await failure(resolve('UriFile', 'https://strangers.blob.core.windows.net/c00/x.csv'));
    expect(unknown.code).toBe('InvalidOutput');
    expect(unknown.message).toContain('storage account the service does not know');
  });
});

describe('outputBlobClient and outputExists', () => {
  it('reports whether the output blob exists, for datastore and URL locations', async () => {
    const loc = await resolve('UriFile', 'azureml://datastores/results/paths/exists-check/out.csv');
    expect(await outputExists(loc, deps)).toBe(false); // the container does not even exist yet
    await blob.getContainerClient('results').createIfNotExists();
    expect(await outputExists(loc, deps)).toBe(false);
    const client = await outputBlobClient(loc, deps);
    expect(client.url).toBe(`${own}/results/exists-check/out.csv`);
    await client.upload('x', 1);
    expect(await outputExists(loc, deps)).toBe(true);

    const urlLoc = { uri: `${own}/results/dir/a%20b.csv`, url: `${own}/results/dir/a%20b.csv` };
    const urlClient = await outputBlobClient(urlLoc, deps);
    await urlClient.upload('y', 1);
    expect(await blob.getContainerClient('results').getBlobClient('dir/a b.csv').exists()).toBe(true);
    expect(await outputExists(urlLoc, deps)).toBe(true);

    const err = outputAlreadyExists(loc);
    expect([err.status, err.code]).toEqual([409, 'OutputAlreadyExists']);
    expect(err.message).toContain(loc.uri);
  });

  it('reaches the default location in the workspace container', async () => {
    const loc = defaultOutputLocation(JOB, 'predictions.csv');
    const client = await outputBlobClient(loc, deps);
    expect(client.url).toBe(`${own}/${WS}/azureml/${JOB}/score/predictions.csv`);
  });
});

describe('registry reads', () => {
  const counted = () => {
    const { registry, reads } = countingRegistry(deps.registry);
    return { reads, deps: { ...deps, registry } };
  };

  it('a blob-URL output on the own account reads the datastore list once', async () => {
    const { reads, deps: countingDeps } = counted();
    const location = await resolveOutputLocation({ jobId: JOB, outputUri: { type: 'UriFile', uri: `${own}/results/runs/u.csv` }, outputFileName: 'x.csv' }, countingDeps);
    expect(location).toMatchObject({ datastore: 'results', path: 'runs/u.csv' });
    expect(reads).toEqual({ tryGet: [], list: 1 });
  });

  it('OutputPlaces resolves a location once per process: mini-batches do not read the registry again', async () => {
    const { reads, deps: countingDeps } = counted();
    const ensured: string[] = [];
    const places = new OutputPlaces(countingDeps, async (container) => {
      ensured.push(container.containerName);
      await container.createIfNotExists();
    });
    const location = { uri: 'azureml://datastores/results/paths/runs/p.csv', datastore: 'results', path: 'runs/p.csv' };
    const blobs = await Promise.all(Array.from({ length: 5 }, () => places.blob(location)));
    expect(blobs[4]!.url).toBe(`${own}/results/runs/p.csv`);
    expect(new Set(blobs.map((b) => b.url)).size).toBe(1);
    expect(reads).toEqual({ tryGet: ['results'], list: 0 });
    expect(ensured).toEqual(['results']);
    expect(await places.writeLog(JOB, 'x.txt', 'hello')).toBe(`azureml://datastores/workspaceblobstore/paths/azureml/${JOB}/logs/`);
  });

  it('OutputPlaces forgets a location that failed, so the next call tries again', async () => {
    const { reads, deps: countingDeps } = counted();
    const places = new OutputPlaces(countingDeps, async () => undefined);
    const missing = { uri: 'azureml://datastores/nosuch/paths/p.csv', datastore: 'nosuch', path: 'p.csv' };
    await expect(places.blob(missing)).rejects.toMatchObject({ code: 'InvalidReference' });
    await expect(places.blob(missing)).rejects.toMatchObject({ code: 'InvalidReference' });
    expect(reads.tryGet).toEqual(['nosuch', 'nosuch']);
  });
});
