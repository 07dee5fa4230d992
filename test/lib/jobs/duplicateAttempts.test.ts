import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import type { JobStore } from '../../../lib/jobs/jobStore';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { realActivityDeps } from './realDeps';

// Durable runs an activity at least once, sometimes twice at the same time on two instances: a
// duplicate of a mini-batch that fails (a storage hiccup on its instance) after its twin succeeded
// must not take the twin's rows out of the output. Real Azurite, scorer pool and Iris model.

let workspace: ContainerClient;
let jobs: JobStore;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace } = await realActivityDeps('libdup', scorer));
  jobs = deps.jobs;
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
