import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { LocalAssets } from '../../../lib/assets/localAssets';
import { listFirstInputFiles, listInputFiles } from '../../../lib/inputs/listFiles';
import { downloadInputFile } from '../../../lib/inputs/download';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { JobStore } from '../../../lib/jobs/jobStore';
import { MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { OutputClaims } from '../../../lib/jobs/outputClaims';
import { OutputParts } from '../../../lib/output/parts';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { openRegistry } from '../../../lib/registry/open';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { storageClients } from '../../../lib/storage/clients';
import { repoRoot } from '../../support/devhost';
import { jobRecord } from './fixtures';

// Durable runs an activity at least once, sometimes twice at the same time on two instances: a
// duplicate of a mini-batch that fails (a storage hiccup on its instance) after its twin succeeded
// must not take the twin's rows out of the output. Real Azurite, scorer pool and Iris model.

const WORKSPACE = 'libdupws';
let workspace: ContainerClient;
let jobs: JobStore;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  const dataDeps = { registry: openRegistry(clients, { table: 'libdupreg', workspaceBlobContainer: WORKSPACE }), blob: clients.blob };
  workspace = clients.blob.getContainerClient(WORKSPACE);
  const scratch = clients.blob.getContainerClient('libdupscratch');
  await workspace.createIfNotExists();
  jobs = new JobStore(clients.table('libdupjobs'));
  const model = join(repoRoot, 'samples', 'iris', 'model');
  for (const name of ['MLmodel', 'model.onnx']) await workspace.getBlockBlobClient(`onnx/${name}`).uploadData(readFileSync(join(model, name)));
  for (let i = 0; i < 3; i++) await workspace.getBlockBlobClient(`heart/f${i}.csv`).upload(`sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.${i + 1}\n`, 59);
  const work = mkdtempSync(join(tmpdir(), 'lib-dup-'));
  const assets = new LocalAssets(dataDeps, join(work, 'assets'));
  const place = (path: string) => workspace.getBlockBlobClient(path);
  deps = {
    jobs,
    miniBatches: new MiniBatchStore(clients.table('libdupmb')),
    outputClaims: new OutputClaims(clients.table('libdupjobs')),
    plans: new PlanManifest(scratch),
    parts: new OutputParts(scratch),
    listInputFiles: (input) => listInputFiles(input, dataDeps),
    listFirstInputFiles: (input, enough) => listFirstInputFiles(input, dataDeps, enough),
    downloadInputFile: (file, dir) => downloadInputFile(file, dir, dataDeps),
    outputBlob: async (location) => place(location.path),
    writeLog: async (jobId, name, text) => {
      await place(`azureml/${jobId}/logs/${name}`).upload(text, Buffer.byteLength(text));
      return `azureml://datastores/workspaceblobstore/paths/azureml/${jobId}/logs/`;
    },
    localModel: (spec) => assets.model(spec),
    localCode: (spec) => assets.code(spec),
    scorer,
    workDir: join(work, 'jobs'),
    tuning: { chunkSize: 10, retryDelayMs: 10, progressIntervalMs: 100, downloadConcurrency: 2, directOutputBlocks: 100 },
    now: () => new Date(),
  };
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

describe('a duplicate mini-batch attempt', () => {
  it('that fails after its twin succeeded leaves the twin\'s rows in the output', async () => {
    const record = jobRecord('ep', newJobId());
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const { plan } = prepared;
    for (const index of [0, 1, 2]) await activities.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize });
    // The same delivery of mini-batch 1 runs on another instance, whose storage answers 503: it
    // records its failure and throws. Durable has the twin's result already and ignores this one.
    const otherInstance = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(otherInstance.scoreMiniBatch({ ...ref, index: 1, chunkSize: plan.chunkSize })).rejects.toThrow('ServerBusy');
    expect(await deps.miniBatches.tryGet(record.jobId, 1)).toMatchObject({ status: 'Succeeded', succeededItems: 1 });
    // The orchestrator counted three succeeded mini-batches: the output has all three rows.
    const totals = { miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
    expect(await activities.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
    const output = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString();
    expect(output.trimEnd().split('\n')).toEqual(['0,0,f0.csv', '0,0,f1.csv', '0,0,f2.csv']);
  });

  it('that fails with no twin recorded yet is still recorded as failed', async () => {
    const record = jobRecord('ep', newJobId());
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const flaky = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(flaky.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize })).rejects.toThrow('ServerBusy');
    await expect(flaky.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize })).rejects.toThrow('ServerBusy');
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Failed', attempts: 2, error: { code: 'ServerBusy' } });
    // A retry that succeeds replaces the failure.
    await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize });
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Succeeded', succeededItems: 1 });
  });
});
