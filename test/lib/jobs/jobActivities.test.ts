import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import type { JobStore } from '../../../lib/jobs/jobStore';
import type { OutputClaims } from '../../../lib/jobs/outputClaims';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { oneFileJob, realActivityDeps } from './realDeps';

// The job activities with every dependency real (Azurite, the scorer pool, the Iris model), run
// the way Durable re-runs them: again after a crash before their result was recorded.

let workspace: ContainerClient;
let scratch: ContainerClient;
let jobs: JobStore;
let claims: OutputClaims;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace, scratch } = await realActivityDeps('libactivities', scorer, undefined, { chunkSize: 2, directOutputBlocks: 2 }));
  jobs = deps.jobs;
  claims = deps.outputClaims;
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

const scratchNames = async (jobId: string) => {
  const names: string[] = [];
  for await (const b of scratch.listBlobsFlat({ prefix: `${jobId}/` })) names.push(b.name);
  return names;
};

/** A recorded job over the three files of heart/, one file per mini-batch. */
const newJob = () => oneFileJob(jobs);

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

  it("mini-batches run at once (one of them twice) leave no folder of the job in the work folder", async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const { chunkSize } = prepared.plan;
    const outcomes = await Promise.all([0, 1, 1].map((index) => activities.scoreMiniBatch({ ...ref, index, chunkSize })));
    expect(outcomes.map((o) => o.succeededItems)).toEqual([1, 1, 1]);
    expect(existsSync(join(deps.workDir, record.jobId))).toBe(false);
    // A failing one too, whether it throws (retried) or not.
    const flaky = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(flaky.scoreMiniBatch({ ...ref, index: 2, chunkSize })).rejects.toThrow('ServerBusy');
    expect(existsSync(join(deps.workDir, record.jobId))).toBe(false);
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

  it("finish releases the output claim of a job that ends Failed or Canceled, never a Completed job's (a finish run again as Failed, e.g. after a duplicate start)", async () => {
    const holds = async () => true;
    const claimed = async (status: 'NotStarted' | 'Completed' | 'Canceled') => {
      const record = jobRecord('ep', newJobId(), status);
      const url = `http://example.invalid/ws/out-${record.jobId}.csv`;
      record.spec.outputClaim = url;
      expect(await claims.claim(url, { jobId: record.jobId, endpoint: 'ep', holds })).toEqual({ won: true });
      await jobs.create(record);
      return { record, url, ref: { endpointName: 'ep', jobId: record.jobId } };
    };
    const failed = await claimed('NotStarted');
    expect(await activities.finish({ ...failed.ref, outcome: 'Failed', error: { code: 'InputEmpty', message: 'no files' } })).toBe('Failed');
    expect(await claims.holder(failed.url)).toBeUndefined();
    // Another job claims the path again; a late re-run of the first job's finish leaves it alone.
    expect(await claims.claim(failed.url, { jobId: 'batchjob-other', endpoint: 'ep', holds })).toEqual({ won: true });
    await activities.finish({ ...failed.ref, outcome: 'Failed' });
    expect((await claims.holder(failed.url))?.jobId).toBe('batchjob-other');

    const completed = await claimed('Completed');
    expect(await activities.finish({ ...completed.ref, outcome: 'Failed', error: { code: 'SystemError', message: 'x' } })).toBe('Completed');
    expect((await claims.holder(completed.url))?.jobId).toBe(completed.record.jobId);
    // Canceled, with the release missed by a crash: the re-run releases it.
    const canceled = await claimed('Canceled');
    expect(await activities.finish({ ...canceled.ref, outcome: 'Canceled' })).toBe('Canceled');
    expect(await claims.holder(canceled.url)).toBeUndefined();
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
    expect(existsSync(join(deps.workDir, record.jobId))).toBe(false);
  });

  it('throws (so Durable retries) a failure that is not marked fatal', async () => {
    const { ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const flaky = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(flaky.scoreMiniBatch({ ...ref, index: 0, chunkSize: prepared.plan.chunkSize })).rejects.toThrow('mini-batch 0 attempt 1: ServerBusy: 503 Server Busy');
  });
});

describe('scoreMiniBatch attempts are numbered by the orchestrator and kept in storage (retries land on any instance, duplicates run at once)', () => {
  const busy = () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' }));

  it('each execution records under its attempt; a duplicate of an attempt counts nothing', async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const mb = { ...ref, index: 0, chunkSize: prepared.plan.chunkSize };
    // Each createJobActivities is one instance (one process's memory).
    const failing = () => createJobActivities({ ...deps, downloadInputFile: busy });
    await expect(failing().scoreMiniBatch({ ...mb, attempt: 1 })).rejects.toThrow('mini-batch 0 attempt 1: ServerBusy');
    await expect(failing().scoreMiniBatch({ ...mb, attempt: 2 })).rejects.toThrow('mini-batch 0 attempt 2: ServerBusy');
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Failed', attempts: 2, error: { code: 'ServerBusy', attempt: 2 } });
    // The third attempt runs twice at once on two fresh instances: both are attempt 3.
    await Promise.all([createJobActivities(deps).scoreMiniBatch({ ...mb, attempt: 3 }), createJobActivities(deps).scoreMiniBatch({ ...mb, attempt: 3 })]);
    const row = await deps.miniBatches.tryGet(record.jobId, 0);
    expect(row).toMatchObject({ status: 'Succeeded', attempts: 3, succeededItems: 1 });
    expect(row?.error).toBeUndefined();
    // A late copy of it after the success is still attempt 3.
    await createJobActivities(deps).scoreMiniBatch({ ...mb, attempt: 3 });
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Succeeded', attempts: 3 });
    // An attempt whose host died before it ended (row Running) is redelivered: the same attempt.
    await deps.miniBatches.startAttempt(record.jobId, 2, 1, []);
    await createJobActivities(deps).scoreMiniBatch({ ...mb, index: 2, attempt: 1 });
    expect(await deps.miniBatches.tryGet(record.jobId, 2)).toMatchObject({ status: 'Succeeded', attempts: 1 });
  });

  it('a late execution of an earlier attempt scores nothing and writes nothing', async () => {
    const { record, ref } = await newJob();
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    const mb = { ...ref, index: 1, chunkSize: prepared.plan.chunkSize };
    await expect(createJobActivities({ ...deps, downloadInputFile: busy }).scoreMiniBatch({ ...mb, attempt: 1 })).rejects.toThrow('attempt 1: ServerBusy');
    expect((await deps.miniBatches.startAttempt(record.jobId, 1, 2, [])).run).toBe(true);
    // Attempt 1 delivered again, on an instance that scores fine: attempt 2 is the orchestrator's now.
    await expect(createJobActivities(deps).scoreMiniBatch({ ...mb, attempt: 1 })).rejects.toThrow('mini-batch 1 attempt 1: attempt 2 has started since');
    expect(await deps.miniBatches.tryGet(record.jobId, 1)).toMatchObject({ status: 'Running', attempts: 2, succeededItems: 0 });
  });

  it('concurrent starts of the next attempt move the row once (its ETag decides) and all run as that attempt', async () => {
    const { record } = await newJob();
    const store = deps.miniBatches;
    expect(await store.startAttempt(record.jobId, 5, 1, [])).toMatchObject({ run: true });
    await store.record(record.jobId, 5, 1, [], { status: 'Failed', error: { code: 'X', message: 'x', attempt: 1 } });
    const starts = await Promise.all(Array.from({ length: 6 }, () => store.startAttempt(record.jobId, 5, 2, [])));
    expect(starts.map((s) => s.run)).toEqual(Array(6).fill(true));
    expect(await store.tryGet(record.jobId, 5)).toMatchObject({ status: 'Running', attempts: 2 });
    // A start of attempt 1 now (a late duplicate) does not run.
    expect(await store.startAttempt(record.jobId, 5, 1, [])).toMatchObject({ run: false, kept: { attempts: 2 } });
  });
});

describe('output in blocks (a mini-batch holds a few blocks in memory, whatever its files)', () => {
  const HEADER = 'sepal_length,sepal_width,petal_length,petal_width\n';
  const rows = (n: number) => Array.from({ length: n }, (_, i) => `${(4.3 + (i % 36) / 10).toFixed(1)},3.1,${(1 + (i % 59) / 10).toFixed(1)},0.2\n`).join('');

  /** A job over big/<tag>/: a.csv (25,000 rows: 3 reader chunks), b.csv (10,000 rows, then a bad one), c.csv (30), d.csv (12,000). */
  async function bigJob(tag: string) {
    const folder = `big/${tag}`;
    const files: Record<string, string> = { 'a.csv': rows(25_000), 'b.csv': `${rows(10_000)}1,x,3,4\n`, 'c.csv': rows(30), 'd.csv': rows(12_000) };
    for (const [name, body] of Object.entries(files)) await workspace.getBlockBlobClient(`${folder}/${name}`).upload(HEADER + body, Buffer.byteLength(HEADER + body));
    const record = jobRecord('ep', newJobId());
    const uri = `azureml://datastores/workspaceblobstore/paths/${folder}/`;
    record.spec.input = { ...record.spec.input, uri };
    record.spec.inputData = { heart: { jobInputType: 'UriFolder', uri } };
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 3 };
    await jobs.create(record);
    return { record, ref: { endpointName: 'ep', jobId: record.jobId } };
  }

  /** [row, file] of every output line, in order. */
  const rowsAndFiles = (text: string) => text.trimEnd().split('\n').map((l) => { const f = l.split(','); return `${f[0]} ${f[2]}`; });
  const expected = [
    ...Array.from({ length: 25_000 }, (_, i) => `${i} a.csv`),
    ...Array.from({ length: 30 }, (_, i) => `${i} c.csv`),
    ...Array.from({ length: 12_000 }, (_, i) => `${i} d.csv`),
  ];

  for (const through of ['the output blob', 'parts'] as const) {
    it(`stages several blocks per file, keeps none of a failed file, and commits each row once in order after a re-run (through ${through})`, async () => {
      // 200-character blocks: every reader chunk (10,000 rows) is a block of its own.
      const small = createJobActivities({ ...deps, tuning: { ...deps.tuning, outputBlockBytes: 200, directOutputBlocks: through === 'parts' ? 0 : 2 } });
      const { record, ref } = await bigJob(uniqueTag());
      const prepared = await small.prepare(ref);
      if (!prepared.ok) throw new Error('prepare failed');
      const { plan } = prepared;
      expect(plan).toMatchObject({ miniBatches: 2, partsFromChunk: through === 'parts' ? 0 : 1 });
      const toPart = through === 'parts' ? { toPart: true as const } : {};
      // Mini-batch 0 runs twice (Durable re-runs an activity whose result was not recorded).
      for (const index of [0, 1, 0]) await small.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize, ...toPart });
      // a.csv: blocks 0-2; b.csv's first chunk was staged as block 3 before its bad row, and is not listed; c.csv: block 4.
      expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Succeeded', blocks: '0-2,4', succeededItems: 2, failedItems: 1, outputRows: 25_030 });
      expect(await deps.miniBatches.tryGet(record.jobId, 1)).toMatchObject({ status: 'Succeeded', blocks: '0-1', outputRows: 12_000 });
      if (through === 'parts') await small.sealPart({ ...ref, chunk: 0, from: 0, to: 2 });
      const totals = { miniBatchesSucceeded: 2, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 1 };
      expect(await small.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
      const output = workspace.getBlockBlobClient(record.spec.output.path);
      expect(rowsAndFiles((await output.downloadToBuffer()).toString())).toEqual(expected);
      if (through === 'the output blob') {
        const list = await output.getBlockList('all');
        expect(list.committedBlocks).toHaveLength(6);
        expect(list.uncommittedBlocks ?? []).toHaveLength(0);
      }
    });
  }
});

let tagCounter = 0;
const uniqueTag = () => `t${Date.now()}-${tagCounter++}`;
