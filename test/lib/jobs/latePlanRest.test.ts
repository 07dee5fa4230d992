import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { JobStoreWithAGap } from './jobStoreWithAGap';
import { realActivityDeps, scratchLeftOver } from './realDeps';

// A planRest that runs after the job ended (a twin delivered late, or one still listing a big
// input when the orchestration was terminated and the job settled) must not leave plan blobs
// behind: finish deleted the job's scratch folder already, and nothing would delete it again.
// The host that ran prepare holds the first chunk it wrote (PlanManifest's cache), so its planRest
// goes on to write the whole plan. The same for a prepare whose job ended while it listed the
// input's first page. Real Azurite, scorer pool and Iris model.

const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let workspace: ContainerClient;
let scratch: ContainerClient;
let activities: JobActivities;
const row = 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n';

beforeAll(async () => {
  ({ deps, workspace, scratch } = await realActivityDeps('liblateplanrest', scorer, (table) => new JobStoreWithAGap(table), { firstMiniBatches: 1 }));
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

const leftOver = (jobId: string) => scratchLeftOver(scratch, jobId);

/** A job of one file per mini-batch over 20 files (more than prepare's first page), prepared on `host`: a head of one mini-batch. */
async function preparedHead(host: JobActivities) {
  const record = jobRecord('ep', newJobId());
  const folder = `late-${record.jobId}/`;
  record.spec = { ...record.spec, input: { ...record.spec.input, uri: `azureml://datastores/workspaceblobstore/paths/${folder}` }, settings: { ...record.spec.settings, miniBatchSize: 1 } };
  await Promise.all(Array.from({ length: 20 }, (_, i) => workspace.getBlockBlobClient(`${folder}g${String(i).padStart(2, '0')}.csv`).upload(row, row.length)));
  await deps.jobs.create(record);
  const ref = { endpointName: 'ep', jobId: record.jobId };
  const prepared = await host.prepare(ref);
  if (!prepared.ok || prepared.complete) throw new Error('prepare did not plan a head');
  return { record, ref, plan: prepared.plan };
}

const terminated = { outcome: 'Failed' as const, error: { code: 'SystemError', message: 'terminated' } };

describe('a planRest after the job ended', () => {
  it('writes no plan, so nothing of the job is left in the scratch container', async () => {
    // Another host (its own plan cache) prepared the job and runs the late planRest.
    const preparer = createJobActivities({ ...deps, plans: new PlanManifest(scratch) });
    const { record, ref, plan } = await preparedHead(preparer);
    expect(await activities.finish({ ...ref, ...terminated })).toBe('Failed');
    expect(await leftOver(record.jobId)).toEqual([]);
    await preparer.planRest({ ...ref, plan });
    expect(await leftOver(record.jobId)).toEqual([]);
  });

  it('that started before the job ended and wrote the plan after the clean-up removes it again', async () => {
    const preparer = createJobActivities({ ...deps, plans: new PlanManifest(scratch) });
    const { record, ref, plan } = await preparedHead(preparer);
    // planRest reads the job (not ended yet); then the job ends and finish cleans up; then planRest lists and writes.
    (deps.jobs as JobStoreWithAGap).armed = { jobId: record.jobId, between: () => activities.finish({ ...ref, ...terminated }) };
    await preparer.planRest({ ...ref, plan });
    expect((await deps.jobs.get('ep', record.jobId))?.status).toBe('Failed');
    expect(await leftOver(record.jobId)).toEqual([]);
  });
});

describe('a prepare whose job ended while it listed', () => {
  it('leaves no plan behind (its twin, or the orchestration, was ended and finish cleaned up meanwhile)', async () => {
    const record = jobRecord('ep', newJobId());
    record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
    await deps.jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    // The job is settled (terminated, finished Failed, scratch folder deleted) while prepare lists the input.
    const slow = createJobActivities({
      ...deps,
      listFirstInputFiles: async (input, enough) => {
        const listed = await deps.listFirstInputFiles(input, enough);
        expect(await activities.finish({ ...ref, ...terminated })).toBe('Failed');
        return listed;
      },
    });
    expect(await slow.prepare(ref)).toMatchObject({ ok: false });
    expect((await deps.jobs.get('ep', record.jobId))?.status).toBe('Failed');
    expect(await leftOver(record.jobId)).toEqual([]);
  });
});
