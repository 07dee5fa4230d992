import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { realActivityDeps } from './realDeps';

// prepare plans only the first mini-batches of the first chunk (scoring starts after a short
// listing page); planRest writes that chunk again, whole. A host that cached the short chunk must
// still find the mini-batches past it. Real Azurite, scorer pool and Iris model.

const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let workspace: ContainerClient;
let scratch: ContainerClient;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace, scratch } = await realActivityDeps('libhead', scorer, undefined, { firstMiniBatches: 1 }));
  activities = createJobActivities(deps);
  for (const [i, name] of names.entries()) await workspace.getBlockBlobClient(`head/${name}`).upload(`sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.${(i % 9) + 1}\n`, 59);
});

// More files than the first listing page holds (the mini-batches wanted, and a few to spare).
const names = Array.from({ length: 20 }, (_, i) => `g${String(i).padStart(2, '0')}.csv`);

/** A job of one file per mini-batch over the 20 files. */
async function newJob() {
  const record = jobRecord('ep', newJobId());
  const uri = 'azureml://datastores/workspaceblobstore/paths/head/';
  record.spec = { ...record.spec, input: { ...record.spec.input, uri }, settings: { ...record.spec.settings, miniBatchSize: 1 } };
  await deps.jobs.create(record);
  return record;
}
afterAll(() => scorer.close());

describe('a job whose first chunk prepare planned in part', () => {
  it('scores the head, then every other mini-batch of the chunk after planRest, on the host that cached the head, and commits each row once in order', async () => {
    const record = await newJob();
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    expect(prepared).toMatchObject({ complete: false, plan: { miniBatches: 1, totalFiles: 1, chunkSize: 10 } });
    const chunkSize = prepared.plan.chunkSize;
    expect(await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize })).toMatchObject({ succeededItems: 1 });
    // planRest runs on another host (its own plan cache): this one still holds the head.
    const rest = await createJobActivities({ ...deps, plans: new PlanManifest(scratch) }).planRest({ ...ref, plan: prepared.plan });
    if (!rest.ok) throw new Error('planRest failed');
    expect(rest.plan).toMatchObject({ miniBatches: 20, totalFiles: 20 });
    for (let index = 1; index < 20; index++) expect(await activities.scoreMiniBatch({ ...ref, index, chunkSize })).toMatchObject({ succeededItems: 1 });
    const totals = { miniBatchesSucceeded: 20, miniBatchesFailed: 0, itemsSucceeded: 20, itemsFailed: 0 };
    expect(await activities.finish({ ...ref, plan: rest.plan, totals, outcome: 'Completed' })).toBe('Completed');
    const output = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString();
    expect(output.trimEnd().split('\n').map((line) => line.split(',').pop())).toEqual(names);
  });

  it('plans the whole first chunk when it goes to a part (a part is sealed once)', async () => {
    const parted = createJobActivities({ ...deps, tuning: { ...deps.tuning, directOutputBlocks: 0 } });
    const record = await newJob();
    const prepared = await parted.prepare({ endpointName: 'ep', jobId: record.jobId });
    expect(prepared).toMatchObject({ ok: true, plan: { miniBatches: 20, partsFromChunk: 0 } }); // the first page (the chunk's 10 and a few to spare) held all
  });
});
