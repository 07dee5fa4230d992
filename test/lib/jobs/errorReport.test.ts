import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { ERROR_REPORT_MINI_BATCHES } from '../../../lib/jobs/jobLogs';
import { newJobId } from '../../../lib/jobs/jobId';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { mapLimited } from '../../../lib/util/mapLimited';
import { jobRecord } from './fixtures';
import { realActivityDeps } from './realDeps';

// finish writes logs/user/error.txt from the job's failed mini-batches. With the default
// errorThreshold (-1) a big job whose every item fails has a row with failures per mini-batch:
// finish must not hold them all (and their messages and stacks) in memory to write one string.

let workspace: ContainerClient;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace } = await realActivityDeps('liberrreport', scorer));
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

describe('the error log of a job with many failed mini-batches', () => {
  it(`lists the first ${ERROR_REPORT_MINI_BATCHES} and says how many more the errors route has`, async () => {
    const record = jobRecord('ep', newJobId(), 'Running');
    await deps.jobs.create(record);
    const failed = ERROR_REPORT_MINI_BATCHES + 7;
    const stack = `Error: bad\n${'    at score (score.js:1:1)\n'.repeat(20)}`;
    await mapLimited(Array.from({ length: failed }, (_, i) => i), 32, (i) =>
      deps.miniBatches.record(record.jobId, i, 4, [{ name: `f${i}.csv` }] as never, { status: 'Failed', error: { code: 'ScriptError', message: `mini-batch ${i} broke`, stack, attempt: 4 } }),
    );
    const error = { code: 'ErrorThresholdExceeded', message: 'too many' };
    expect(await activities.finish({ endpointName: 'ep', jobId: record.jobId, outcome: 'Failed', error })).toBe('Failed');
    const log = (await workspace.getBlobClient(`azureml/${record.jobId}/logs/user/error.txt`).downloadToBuffer()).toString();
    const reported = log.split('\n').filter((l) => /^mini-batch \d+ failed after 4 attempt\(s\)/.test(l));
    expect(reported).toHaveLength(ERROR_REPORT_MINI_BATCHES);
    expect(reported[0]).toBe('mini-batch 0 failed after 4 attempt(s) [f0.csv]: ScriptError: mini-batch 0 broke');
    expect(log.trimEnd().split('\n').at(-1)).toBe('... and 7 more mini-batch(es) with failures: see GET .../errors for every one.');
  });
});
