import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { JobStore } from '../../../lib/jobs/jobStore';
import { JobStoreWithAGap } from './jobStoreWithAGap';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { preparedOneFileJob, realActivityDeps } from './realDeps';

// Activities run at least once, sometimes twice at the same time, and other writers act between
// an activity's read of the job and its write. prepare: a twin that moved the job to Running
// first is not a failure. finish reads the job, then moves it to Finalizing before it commits the
// output; in between act the cancel route (a cancel accepted before Finalizing must win: the job ends
// Canceled with no output), and the stuck-job rule's own finish (a job that has ended stays as it
// ended: no output is committed under a Failed job). Real Azurite, scorer pool and Iris model.

let workspace: ContainerClient;
let scratch: ContainerClient;
let jobs: JobStoreWithAGap;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace, scratch } = await realActivityDeps('libfinishrace', scorer, (table) => new JobStoreWithAGap(table)));
  jobs = deps.jobs as JobStoreWithAGap;
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

/** A job whose three mini-batches have scored: what finish sees at the end of a run. */
async function scoredJob() {
  const { record, ref, prepared } = await preparedOneFileJob(jobs, activities);
  for (const index of [0, 1, 2]) await activities.scoreMiniBatch({ ...ref, index, chunkSize: prepared.plan.chunkSize });
  const totals = { miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
  return { record, ref, plan: prepared.plan, totals };
}

describe('finish, with another writer between its read and Finalizing', () => {
  it('a cancel accepted then ends the job Canceled, with no output', async () => {
    const { record, ref, plan, totals } = await scoredJob();
    let cancel: Awaited<ReturnType<JobStore['update']>> | undefined;
    jobs.armed = { jobId: record.jobId, between: async () => (cancel = await JobStore.prototype.update.call(jobs, 'ep', record.jobId, { status: 'CancelRequested' }, { step: 'cancel' })) };
    const outcome = await activities.finish({ ...ref, plan, totals, outcome: 'Completed' });
    expect(cancel?.applied).toBe(true); // the cancel route answered 202: CancelRequested
    expect(outcome).toBe('Canceled');
    expect((await jobs.get('ep', record.jobId))!.status).toBe('Canceled');
    expect(await workspace.getBlobClient(record.spec.output.path).exists()).toBe(false);
  });

  it('a job another finish ended Failed meanwhile stays Failed, with no output', async () => {
    const { record, ref, plan, totals } = await scoredJob();
    const error = { code: 'SystemError', message: "The job's orchestration ended (Terminated) without recording a result." };
    jobs.armed = { jobId: record.jobId, between: () => activities.finish({ ...ref, outcome: 'Failed', error }) };
    const outcome = await activities.finish({ ...ref, plan, totals, outcome: 'Completed' });
    expect(outcome).toBe('Failed');
    expect((await jobs.get('ep', record.jobId))!).toMatchObject({ status: 'Failed', error });
    expect(await workspace.getBlobClient(record.spec.output.path).exists()).toBe(false);
  });
});

describe('prepare, run twice at once', () => {
  it('the run whose move to Running finds its twin already there plans the same and reports ok', async () => {
    const record = jobRecord('ep', newJobId());
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    let twin: Awaited<ReturnType<JobActivities['prepare']>> | undefined;
    // Between this run's move to Preparing and its move to Running, the twin runs from start to end.
    jobs.armed = { jobId: record.jobId, skip: 1, between: async () => (twin = await activities.prepare(ref)) };
    const late = await activities.prepare(ref);
    expect(twin).toMatchObject({ ok: true, plan: { miniBatches: 3 } });
    expect(late).toEqual(twin);
    expect((await jobs.get('ep', record.jobId))!.status).toBe('Running');
  });
});

describe('prepare, run again late', () => {
  it('leaves a job whose mini-batches are scoring Running, with its progress', async () => {
    const record = jobRecord('ep', newJobId());
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const first = await activities.prepare(ref);
    if (!first.ok) throw new Error('prepare failed');
    await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize: first.plan.chunkSize });
    await activities.reportProgress({ ...ref, totals: { miniBatchesSucceeded: 1, miniBatchesFailed: 0, itemsSucceeded: 1, itemsFailed: 0 }, running: 1 });
    // The twin of the first prepare, delivered late while the job scores; look at the job as it lists the input.
    const seen: string[] = [];
    jobs.armed = { jobId: record.jobId, skip: 1, between: async () => seen.push((await JobStore.prototype.get.call(jobs, 'ep', record.jobId))!.status) };
    expect(await activities.prepare(ref)).toEqual(first);
    expect(seen).toEqual(['Running']);
    expect((await jobs.get('ep', record.jobId))!).toMatchObject({ status: 'Running', progress: { miniBatchesSucceeded: 1, itemsSucceeded: 1 } });
  });
});

describe('prepare, run again after the input changed', () => {
  it('keeps the plan the mini-batches score from, and answers with it', async () => {
    const record = jobRecord('ep', newJobId());
    const folder = `changing-${record.jobId}/`;
    const uri = `azureml://datastores/workspaceblobstore/paths/${folder}`;
    record.spec.input = { ...record.spec.input, uri };
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    const row = 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n';
    for (const name of ['a.csv', 'c.csv']) await workspace.getBlockBlobClient(`${folder}${name}`).upload(row, row.length);
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const first = await activities.prepare(ref);
    if (!first.ok) throw new Error('prepare failed');
    // Mini-batch 1 scores c.csv from the plan...
    await activities.scoreMiniBatch({ ...ref, index: 1, chunkSize: first.plan.chunkSize });
    // ...when a file sorting before it arrives and a twin of prepare runs late: it must not make
    // mini-batch 1 another file (b.csv) under the running job, nor report a plan of 3.
    await workspace.getBlockBlobClient(`${folder}b.csv`).upload(row, row.length);
    const twin = await activities.prepare(ref);
    expect(twin).toEqual(first);
    // What another instance (nothing cached) reads for the mini-batches still to run.
    const stored = await new PlanManifest(scratch).read(record.jobId, 0);
    expect(stored.map((batch) => batch.map((f) => f.name))).toEqual([['a.csv'], ['c.csv']]);
  });

  it('a twin whose plan spans several chunks keeps the stored chunks and ends the job InputChanged, not a mixed plan', async () => {
    // One file per chunk: the first listing page (100 names at least) plans all three chunks.
    const oneFileChunks = createJobActivities({ ...deps, tuning: { ...deps.tuning, chunkSize: 1 } });
    const record = jobRecord('ep', newJobId());
    const folder = `changing-chunks-${record.jobId}/`;
    record.spec.input = { ...record.spec.input, uri: `azureml://datastores/workspaceblobstore/paths/${folder}` };
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    const row = 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n';
    for (const name of ['a.csv', 'c.csv', 'e.csv']) await workspace.getBlockBlobClient(`${folder}${name}`).upload(row, row.length);
    await jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    expect(await oneFileChunks.prepare(ref)).toMatchObject({ ok: true, plan: { miniBatches: 3 } });
    await workspace.getBlockBlobClient(`${folder}d.csv`).upload(row, row.length);
    const twin = await oneFileChunks.prepare(ref);
    expect(twin).toMatchObject({ ok: false, error: { code: 'InputChanged' } });
    const manifest = new PlanManifest(scratch);
    const names = async (chunk: number) => (await manifest.read(record.jobId, chunk)).flat().map((f) => f.name);
    expect([await names(0), await names(1), await names(2)]).toEqual([['a.csv'], ['c.csv'], ['e.csv']]);
  });
});
