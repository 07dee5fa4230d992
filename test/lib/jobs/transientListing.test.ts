import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { LocalAssets } from '../../../lib/assets/localAssets';
import { listFirstInputFiles, listInputFiles } from '../../../lib/inputs/listFiles';
import { downloadInputFile } from '../../../lib/inputs/download';
import { createJobActivities, type JobActivities } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { JobStore } from '../../../lib/jobs/jobStore';
import { MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { OutputClaims } from '../../../lib/jobs/outputClaims';
import { OutputParts } from '../../../lib/output/parts';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { openRegistry } from '../../../lib/registry/open';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { storageClients } from '../../../lib/storage/clients';
import { StorageProxy } from '../../support/storageProxy';
import { jobRecord } from './fixtures';

// prepare and planRest are retried by the orchestrator (3 attempts) so that a storage hiccup does
// not fail a job: a listing that fails because the storage could not be reached must throw (and
// be retried), not end the job as if the input were wrong. Real Azurite behind a TCP proxy that
// resets connections while 'down'.

const WORKSPACE = 'libtransientws';
let proxy: StorageProxy;
let jobs: JobStore;
const scorer = new ScorerPool({ maxWorkers: 1 });
let activities: JobActivities;

beforeAll(async () => {
  const connectionString = inject('storageConnectionString');
  const clients = storageClients({ connectionString });
  const workspace = clients.blob.getContainerClient(WORKSPACE);
  await workspace.createIfNotExists();
  // 101 files: more than the first listing page (100), so prepare plans from one page and planRest lists the rest.
  await Promise.all(Array.from({ length: 101 }, (_, i) => workspace.getBlockBlobClient(`heart/f${String(i).padStart(3, '0')}.csv`).upload(`a,b\n1,2\n`, 8)));
  const blobPort = Number(/BlobEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(connectionString)![1]);
  proxy = await StorageProxy.start(blobPort);
  // The input is read through the proxy, with one try per call (the SDK's own retries would only make the test slow).
  const viaProxy = BlobServiceClient.fromConnectionString(connectionString.replace(`127.0.0.1:${blobPort}`, `127.0.0.1:${proxy.port}`), { retryOptions: { maxTries: 1 } });
  const dataDeps = { registry: openRegistry(clients, { table: 'libtransientreg', workspaceBlobContainer: WORKSPACE }), blob: viaProxy };
  jobs = new JobStore(clients.table('libtransientjobs'));
  const scratch = clients.blob.getContainerClient('libtransientscratch');
  const work = mkdtempSync(join(tmpdir(), 'lib-transient-'));
  const assets = new LocalAssets(dataDeps, join(work, 'assets'));
  activities = createJobActivities({
    jobs,
    miniBatches: new MiniBatchStore(clients.table('libtransientmb')),
    outputClaims: new OutputClaims(clients.table('libtransientjobs')),
    plans: new PlanManifest(scratch),
    parts: new OutputParts(scratch),
    listInputFiles: (input) => listInputFiles(input, dataDeps),
    listFirstInputFiles: (input, enough) => listFirstInputFiles(input, dataDeps, enough),
    downloadInputFile: (file, dir) => downloadInputFile(file, dir, dataDeps),
    outputBlob: async (location) => workspace.getBlockBlobClient(location.path),
    writeLog: async () => 'azureml://datastores/workspaceblobstore/paths/logs/',
    localModel: (spec) => assets.model(spec),
    localCode: (spec) => assets.code(spec),
    scorer,
    workDir: join(work, 'jobs'),
    // chunkSize 1: the first page plans one mini-batch, planRest lists the rest.
    tuning: { chunkSize: 1, retryDelayMs: 10, progressIntervalMs: 100, downloadConcurrency: 2, directOutputBlocks: 100 },
    now: () => new Date(),
  });
});
afterAll(async () => {
  proxy.mode = 'up';
  await scorer.close();
});

describe('input listing while the storage cannot be reached', () => {
  it('prepare and planRest throw (the orchestrator retries them) and plan the job once the storage answers again', async () => {
    const record = jobRecord('ep', newJobId());
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };

    proxy.mode = 'down';
    await expect(activities.prepare(ref).finally(() => (proxy.mode = 'up'))).rejects.toThrow();
    proxy.mode = 'up';
    const prepared = await activities.prepare(ref);
    expect(prepared).toMatchObject({ ok: true, complete: false, plan: { miniBatches: 1 } });
    if (!prepared.ok) throw new Error('prepare failed');

    proxy.mode = 'down';
    await expect(activities.planRest({ ...ref, plan: prepared.plan }).finally(() => (proxy.mode = 'up'))).rejects.toThrow();
    proxy.mode = 'up';
    expect(await activities.planRest({ ...ref, plan: prepared.plan })).toMatchObject({ ok: true, plan: { miniBatches: 101 } });
    expect((await jobs.get('ep', record.jobId))!.status).toBe('Running');
  });

  it('an empty input still ends the job with InputEmpty (no retry can fix it)', async () => {
    const record = jobRecord('ep', newJobId());
    const uri = 'azureml://datastores/workspaceblobstore/paths/no-such-folder/';
    record.spec.input = { ...record.spec.input, uri };
    await jobs.create(record);
    const prepared = await activities.prepare({ endpointName: 'ep', jobId: record.jobId });
    expect(prepared).toMatchObject({ ok: false, error: { code: 'InputEmpty' } });
  });
});
