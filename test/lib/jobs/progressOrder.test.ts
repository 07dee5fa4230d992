import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { realActivityDeps } from './realDeps';

// Activity messages arrive out of order and are sometimes delivered again: a progress report that
// lands after a newer one must not move the job's progress back (real Azurite).

const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps } = await realActivityDeps('libprogressorder', scorer));
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

describe('reportProgress', () => {
  it('keeps the newer counts when an older report arrives after them', async () => {
    const record = jobRecord('ep', newJobId(), 'Running');
    record.progress = { ...record.progress, miniBatchesTotal: 10, miniBatchesPending: 10, itemsTotal: 10 };
    await deps.jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const report = (done: number, running: number) =>
      activities.reportProgress({ ...ref, totals: { miniBatchesSucceeded: done, miniBatchesFailed: 0, itemsSucceeded: done, itemsFailed: 0 }, running });
    await report(6, 2);
    await report(3, 2); // sent earlier, delivered now
    expect((await deps.jobs.get('ep', record.jobId))!.progress).toMatchObject({ miniBatchesSucceeded: 6, itemsSucceeded: 6, miniBatchesRunning: 2, miniBatchesPending: 2 });
    await report(8, 2);
    expect((await deps.jobs.get('ep', record.jobId))!.progress).toMatchObject({ miniBatchesSucceeded: 8, itemsSucceeded: 8, miniBatchesRunning: 2, miniBatchesPending: 0 });
  });
});
