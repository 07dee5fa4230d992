import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { JobStoreWithAGap } from './jobStoreWithAGap';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { preparedOneFileJob, realActivityDeps, scratchLeftOver } from './realDeps';

// A sealPart that runs after the job ended and finish cleaned up (a seal delivered late, or still
// queued when an operator terminated the orchestration and the job was settled Failed) must not
// leave a part blob behind: finish deleted the job's scratch folder already, and nothing would
// delete it again. Real Azurite, scorer pool and Iris model; every chunk writes through parts.

let scratch: ContainerClient;
let deps: JobActivityDeps;
let activities: JobActivities;
const scorer = new ScorerPool({ maxWorkers: 1 });

beforeAll(async () => {
  ({ deps, scratch } = await realActivityDeps('liblateseal', scorer, (table) => new JobStoreWithAGap(table), { chunkSize: 1, directOutputBlocks: 0 }));
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

const leftOver = (jobId: string) => scratchLeftOver(scratch, jobId);

/** A job of one-file mini-batches, prepared: every chunk (of one) writes through a part. */
const preparedJob = () => preparedOneFileJob(deps.jobs, activities);

describe('a seal after the job ended', () => {
  it('writes no part blob, so nothing of the job is left in the scratch container', async () => {
    const { record, ref, prepared } = await preparedJob();
    expect(prepared.plan).toMatchObject({ chunkSize: 1, partsFromChunk: 0 });
    await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize: 1, toPart: true });
    // The job ends (settled Failed after a terminate) before chunk 0's seal runs.
    expect(await activities.finish({ ...ref, outcome: 'Failed', error: { code: 'SystemError', message: 'terminated' } })).toBe('Failed');
    expect(await leftOver(record.jobId)).toEqual([]);
    await activities.sealPart({ ...ref, chunk: 0, from: 0, to: 1 });
    expect(await leftOver(record.jobId)).toEqual([]);
  });

  it('that started before the job ended and committed after the clean-up removes its part again', async () => {
    const { record, ref, prepared } = await preparedJob();
    await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize: 1, toPart: true });
    // The seal reads the job (not ended yet); then the job ends and finish cleans up; then the seal commits.
    (deps.jobs as JobStoreWithAGap).armed = {
      jobId: record.jobId,
      between: () => activities.finish({ ...ref, outcome: 'Failed', error: { code: 'SystemError', message: 'terminated' } }),
    };
    await activities.sealPart({ ...ref, chunk: 0, from: 0, to: 1 });
    expect((await deps.jobs.get('ep', record.jobId))?.status).toBe('Failed');
    expect(await leftOver(record.jobId)).toEqual([]);
  });
});
