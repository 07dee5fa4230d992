import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { realActivityDeps } from './realDeps';

// prepare planned only the first chunk's head; planRest lists the whole input and writes that
// chunk again, whole. When the input changed in between under the same names (a head file
// uploaded again, with other bytes), the stored head is no head of the new chunk: planRest must
// not answer with the stored head as if it were the whole job (every file after it would be
// dropped and the job end Completed). Real Azurite.

const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let workspace: ContainerClient;
let scratch: ContainerClient;
let activities: JobActivities;

const row = (i: number) => `sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.${(i % 9) + 1}\n`;
// More files than prepare's first listing page holds (the head and a few to spare), all in the first chunk.
const names = Array.from({ length: 20 }, (_, i) => `g${String(i).padStart(2, '0')}.csv`);

beforeAll(async () => {
  ({ deps, workspace, scratch } = await realActivityDeps('libplanrestchanged', scorer, undefined, { firstMiniBatches: 2, chunkSize: 50 }));
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

describe('planRest after a head file was uploaded again with other bytes', () => {
  it('does not answer with the head as the whole plan: the job ends InputChanged, no file is silently left out', async () => {
    const record = jobRecord('ep', newJobId());
    const folder = `rest-${record.jobId}/`;
    record.spec = { ...record.spec, input: { ...record.spec.input, uri: `azureml://datastores/workspaceblobstore/paths/${folder}` }, settings: { ...record.spec.settings, miniBatchSize: 1 } };
    for (const [i, name] of names.entries()) await workspace.getBlockBlobClient(`${folder}${name}`).upload(row(i), row(i).length);
    await deps.jobs.create(record);
    const ref = { endpointName: 'ep', jobId: record.jobId };
    const prepared = await activities.prepare(ref);
    if (!prepared.ok) throw new Error('prepare failed');
    expect(prepared).toMatchObject({ complete: false, plan: { miniBatches: 2, totalFiles: 2 } });
    // The first file is written again (same name, another size) while the head scores.
    const longer = `${row(0)}5.0,3.4,1.5,0.2\n`;
    await workspace.getBlockBlobClient(`${folder}${names[0]}`).upload(longer, longer.length);
    const rest = await activities.planRest({ ...ref, plan: prepared.plan });
    // Without the check: { ok: true, plan: { miniBatches: 2, totalFiles: 2 } }, 18 files dropped.
    expect(rest).toMatchObject({ ok: false, error: { code: 'InputChanged' } });
    // The head mini-batches may be scoring from the stored chunk: it is kept as it was.
    expect((await new PlanManifest(scratch).read(record.jobId, 0)).flat().map((f) => f.name)).toEqual(names.slice(0, 2));
  });
});
