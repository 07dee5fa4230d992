import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { outputBlockId } from '../../../lib/output/blocks';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { preparedOneFileJob, realActivityDeps } from './realDeps';

// A job running across the deploy that added execution tags to block ids: rows recorded before
// it have no tag and name blocks under the old ids; finish commits those with the tagged blocks of
// the mini-batches that ran after it. Real Azurite, scorer pool and Iris model.

let workspace: ContainerClient;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace } = await realActivityDeps('libtagup', scorer));
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

describe('a job running across the deploy that added block tags', () => {
  it('commits the untagged blocks of rows recorded before it with the tagged ones', async () => {
    const { record, ref, plan } = await preparedOneFileJob(deps.jobs, activities);
    // Mini-batch 0 ran before the deploy: its block under the old id, its row without a tag.
    const output = workspace.getBlockBlobClient(record.spec.output.path);
    const before = 'old,0,f0.csv\n';
    await output.stageBlock(outputBlockId(record.jobId, 0, 0), Buffer.from(before), before.length);
    const files = (await deps.plans.read(record.jobId, 0))[0]!;
    await deps.miniBatches.startAttempt(record.jobId, 0, 1, files);
    await deps.miniBatches.record(record.jobId, 0, 1, files, { status: 'Succeeded', succeededItems: 1, failedItems: 0, outputRows: 1, blocks: '0' });
    expect((await deps.miniBatches.tryGet(record.jobId, 0))?.blockTag).toBeUndefined();
    for (const index of [1, 2]) await activities.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize });
    expect((await deps.miniBatches.tryGet(record.jobId, 1))?.blockTag).toMatch(/^[A-Za-z0-9_-]{6}$/);
    const totals = { miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
    expect(await activities.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
    expect((await output.downloadToBuffer()).toString().trimEnd().split('\n')).toEqual(['old,0,f0.csv', '0,0,f1.csv', '0,0,f2.csv']);
  });
});
