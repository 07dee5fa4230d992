import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { JobStore } from '../../../lib/jobs/jobStore';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { realActivityDeps } from './realDeps';

// finish reads the job, then moves it to Finalizing before it commits the output. Other writers
// act in between: the cancel route (a cancel accepted before Finalizing must win: the job ends
// Canceled with no output), and the stuck-job rule's own finish (a job that has ended stays as it
// ended: no output is committed under a Failed job). Real Azurite, scorer pool and Iris model.

/** Runs `between` once, right after the next read of job `armed` (what another writer does then). */
class JobStoreWithAGap extends JobStore {
  armed?: { jobId: string; between: () => Promise<unknown> };
  override async get(endpoint: string, jobId: string) {
    const record = await super.get(endpoint, jobId);
    const armed = this.armed;
    if (armed?.jobId === jobId) {
      this.armed = undefined;
      await armed.between();
    }
    return record;
  }
}

let workspace: ContainerClient;
let jobs: JobStoreWithAGap;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace } = await realActivityDeps('libfinishrace', scorer, (table) => new JobStoreWithAGap(table)));
  jobs = deps.jobs as JobStoreWithAGap;
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

/** A job whose three mini-batches have scored: what finish sees at the end of a run. */
async function scoredJob() {
  const record = jobRecord('ep', newJobId());
  record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
  await jobs.create(record);
  const ref = { endpointName: 'ep', jobId: record.jobId };
  const prepared = await activities.prepare(ref);
  if (!prepared.ok) throw new Error('prepare failed');
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
