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
import { OutputParts } from '../../../lib/output/parts';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { openRegistry } from '../../../lib/registry/open';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { storageClients } from '../../../lib/storage/clients';
import { repoRoot } from '../../support/devhost';
import { jobRecord } from './fixtures';

// The job activities with every dependency real (Azurite, the scorer pool, the Iris model), run
// the way Durable re-runs them: again after a crash before their result was recorded.

const WORKSPACE = 'libactivitiesws';
let workspace: ContainerClient;
let scratch: ContainerClient;
let jobs: JobStore;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  const dataDeps = { registry: openRegistry(clients, { table: 'libactivitiesreg', workspaceBlobContainer: WORKSPACE }), blob: clients.blob };
  workspace = clients.blob.getContainerClient(WORKSPACE);
  scratch = clients.blob.getContainerClient('libactivitiesscratch');
  await workspace.createIfNotExists();
  jobs = new JobStore(clients.table('libactivitiesjobs'));
  const model = join(repoRoot, 'samples', 'iris', 'model');
  for (const name of ['MLmodel', 'model.onnx']) await workspace.getBlockBlobClient(`onnx/${name}`).uploadData(readFileSync(join(model, name)));
  for (let i = 0; i < 3; i++) await workspace.getBlockBlobClient(`heart/f${i}.csv`).upload(`sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.${i + 1}\n`, 59);
  const work = mkdtempSync(join(tmpdir(), 'lib-activities-'));
  const assets = new LocalAssets(dataDeps, join(work, 'assets'));
  const place = (path: string) => workspace.getBlockBlobClient(path);
  deps = {
    jobs,
    miniBatches: new MiniBatchStore(clients.table('libactivitiesmb')),
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
    tuning: { chunkSize: 2, retryDelayMs: 10, progressIntervalMs: 100, downloadConcurrency: 2, directOutputBlocks: 2 },
    now: () => new Date(),
  };
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

const scratchNames = async (jobId: string) => {
  const names: string[] = [];
  for await (const b of scratch.listBlobsFlat({ prefix: `${jobId}/` })) names.push(b.name);
  return names;
};

/** A recorded job over the three files of heart/, one file per mini-batch. */
async function newJob() {
  const record = jobRecord('ep', newJobId());
  record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
  await jobs.create(record);
  return { record, ref: { endpointName: 'ep', jobId: record.jobId } };
}

describe('job activities run again', () => {
  it('prepare twice gives the same plan and leaves the job Running', async () => {
    const { record, ref } = await newJob();
    const first = await activities.prepare(ref);
    const startTime = (await jobs.get('ep', record.jobId))!.startTime;
    const again = await activities.prepare(ref);
    expect(first).toMatchObject({ ok: true, plan: { miniBatches: 3, chunkSize: 2, partsFromChunk: 1 } });
    expect(again).toEqual(first);
    // A host with other settings plans the rest with the layout the job started with.
    const otherHost = createJobActivities({ ...deps, tuning: { ...deps.tuning, chunkSize: 3, directOutputBlocks: 9 } });
    const rest = await otherHost.planRest({ ...ref, plan: first.ok ? first.plan : (undefined as never) });
    expect(rest).toMatchObject({ ok: true, plan: { chunkSize: 2, partsFromChunk: 1, miniBatches: 3 } });
    const job = (await jobs.get('ep', record.jobId))!;
    expect(job.status).toBe('Running');
    expect(job.startTime).toBe(startTime);
  });

  it('a whole job, with its seal and finish each run twice, writes every row once and cleans up', async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const rest = await activities.planRest({ ...ref, plan: prepared.plan });
    if (!rest.ok) throw new Error('planRest failed');
    const { plan } = rest;
    expect(plan.miniBatches).toBe(3);
    // Chunk 0 (mini-batches 0, 1) is direct; chunk 1 (mini-batch 2) writes a part. Mini-batch 2 runs twice.
    for (const index of [0, 1, 2, 2]) {
      await activities.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize, ...(index >= 2 ? { toPart: true as const } : {}) });
    }
    expect(await activities.sealPart({ ...ref, chunk: 1, from: 2, to: 3 })).toBe(1);
    expect(await activities.sealPart({ ...ref, chunk: 1, from: 2, to: 3 })).toBe(1);
    const totals = { miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
    expect(await activities.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
    expect(await scratchNames(record.jobId)).toEqual([]);
    // Durable re-runs finish when the host died before recording its result: the plan and parts
    // are gone, or (if it died before the clean-up) still there and deleted now.
    await deps.plans.write(record.jobId, 0, [[]]);
    expect(await activities.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
    expect(await scratchNames(record.jobId)).toEqual([]);
    const output = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString();
    expect(output.trimEnd().split('\n')).toEqual(['0,0,f0.csv', '0,0,f1.csv', '0,0,f2.csv']);
    expect((await jobs.get('ep', record.jobId))!.status).toBe('Completed');
  });

  it('a job whose output was committed before its logs failed for good still ends Completed', async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const plan = { ...prepared.plan, partsFromChunk: undefined };
    for (const index of [0, 1, 2]) await activities.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize });
    // The logs' storage refuses every write (as after three retries of finish).
    const noLogs = createJobActivities({ ...deps, writeLog: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { statusCode: 503 })) });
    const totals = { miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
    await expect(noLogs.finish({ ...ref, plan, totals, outcome: 'Completed' })).rejects.toThrow('503');
    expect((await jobs.get('ep', record.jobId))!.status).toBe('Finalizing');
    // The orchestrator's catch: finish as Failed with the error that escaped.
    expect(await noLogs.finish({ ...ref, totals, outcome: 'Failed', error: { code: 'SystemError', message: '503 Server Busy' } })).toBe('Completed');
    const job = (await jobs.get('ep', record.jobId))!;
    expect(job).toMatchObject({ status: 'Completed', progress: { itemsSucceeded: 3, miniBatchesSucceeded: 3 } });
    expect(job.error).toBeUndefined();
    const output = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString();
    expect(output.trimEnd().split('\n')).toHaveLength(3);
  });

  it('a job that failed before its output was committed stays Failed', async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    await jobs.update('ep', record.jobId, { status: 'Finalizing' });
    const totals = { miniBatchesSucceeded: 0, miniBatchesFailed: 0, itemsSucceeded: 0, itemsFailed: 0 };
    expect(await activities.finish({ ...ref, totals, outcome: 'Failed', error: { code: 'SystemError', message: 'boom' } })).toBe('Failed');
    expect((await jobs.get('ep', record.jobId))!).toMatchObject({ status: 'Failed', error: { code: 'SystemError' } });
    expect(await workspace.getBlobClient(record.spec.output.path).exists()).toBe(false);
  });

  it('a mini-batch of a job that has ended (its orchestration terminated) scores nothing', async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    await jobs.update('ep', record.jobId, { status: 'Failed', error: { code: 'SystemError', message: 'terminated' } });
    expect(await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize })).toMatchObject({ canceled: true, succeededItems: 0 });
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toBeUndefined();
  });
});

describe('scoreMiniBatch failures', () => {
  it('reports a failure marked fatal where it was thrown (a model with no files) as the fatal outcome, without a retry', async () => {
    const record = jobRecord('ep', newJobId());
    // Its own version, so no earlier download of the model is found in the local asset cache.
    record.spec.model = { ...record.spec.model, version: record.jobId, modelUri: 'azureml://datastores/workspaceblobstore/paths/no-such-model/' };
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const outcome = await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize });
    expect(outcome).toMatchObject({ succeededItems: 0, failedItems: 1, fatal: { code: 'AssetNotFound' } });
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Failed', attempts: 1, error: { code: 'AssetNotFound' } });
  });

  it('throws (so Durable retries) a failure that is not marked fatal', async () => {
    const { ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const flaky = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(flaky.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize })).rejects.toThrow('mini-batch 0 attempt 1: ServerBusy: 503 Server Busy');
  });
});
