import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { createJobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { preparedOneFileJob, realActivityDeps } from './realDeps';

// What one mini-batch costs in table requests: the common case (one execution, nothing else writes
// its row) is its start's write and its end's write conditional on the ETag the start got back, no
// read. Real Azurite, scorer pool and Iris model; the requests are counted by a pipeline policy.

const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let requests: string[] = [];
let counted: MiniBatchStore;

beforeAll(async () => {
  ({ deps } = await realActivityDeps('libmbreq', scorer));
  const record = {
    name: 'record',
    sendRequest: async (req: { method: string; url: string; headers: { get(name: string): string | undefined } }, next: (r: unknown) => Promise<unknown>) => {
      requests.push(`${req.method}${req.headers.get('If-Match') ? ' If-Match' : ''} ${decodeURIComponent(new URL(req.url).pathname)}`);
      return next(req);
    },
  };
  counted = new MiniBatchStore(TableClient.fromConnectionString(inject('storageConnectionString'), 'libmbreqmb', { allowInsecureConnection: true, additionalPolicies: [{ policy: record as never, position: 'perCall' }] }));
});
afterAll(() => scorer.close());

async function preparedJob(): Promise<{ ref: { endpointName: string; jobId: string }; chunkSize: number }> {
  const { ref, plan } = await preparedOneFileJob(deps.jobs, createJobActivities(deps));
  return { ref, chunkSize: plan.chunkSize };
}

describe('the table requests of one mini-batch', () => {
  it('are two: the attempt row created, then its success written If-Match the ETag of that create (no read)', async () => {
    const { ref, chunkSize } = await preparedJob();
    const activities = createJobActivities({ ...deps, miniBatches: counted });
    await activities.scoreMiniBatch({ ...ref, index: 0, chunkSize }); // warms the table's create-once and the scorer
    requests = [];
    expect(await activities.scoreMiniBatch({ ...ref, index: 1, chunkSize })).toMatchObject({ succeededItems: 1, failedItems: 0 });
    const rows = requests.filter((r) => r.includes('libmbreqmb'));
    expect(rows, rows.join('\n')).toHaveLength(2);
    expect(rows[0]).toMatch(/^POST /);
    expect(rows[1]).toMatch(/^(MERGE|PATCH) If-Match /);
    expect(await deps.miniBatches.tryGet(ref.jobId, 1)).toMatchObject({ status: 'Succeeded', attempts: 1, succeededItems: 1 });
  });

  it('read the row again only when another execution wrote it since the start: its success stays', async () => {
    const jobId = newJobId();
    const files = [{ name: 'f0.csv' }] as never;
    const mine = await counted.startAttempt(jobId, 3, 1, files);
    const twin = await counted.startAttempt(jobId, 3, 1, files); // a duplicate delivery: same attempt, the row as it found it
    if (!mine.run || !twin.run) throw new Error('both executions of attempt 1 run');
    expect(await counted.record(jobId, 3, 1, files, { status: 'Succeeded', succeededItems: 1, outputRows: 1, blocks: '0', blockTag: 'twin00' }, twin.seen)).toBeUndefined();
    requests = [];
    // This execution's ETag is stale: the conditional write is refused, the read finds the twin's success, nothing is written.
    const kept = await counted.record(jobId, 3, 1, files, { status: 'Succeeded', succeededItems: 1, outputRows: 2, blocks: '0-1', blockTag: 'mine00' }, mine.seen);
    expect(kept).toMatchObject({ status: 'Succeeded', outputRows: 1, blockTag: 'twin00' });
    expect(requests.map((r) => r.split(' ')[0])).toEqual([expect.stringMatching(/^(MERGE|PATCH)$/), 'GET']);
    // A failure with the stale ETag leaves the success too, and a start that finds it does not run.
    expect(await counted.record(jobId, 3, 1, files, { status: 'Failed', error: { code: 'X', message: 'x', attempt: 1 } }, mine.seen)).toMatchObject({ blockTag: 'twin00' });
    expect(await counted.startAttempt(jobId, 3, 1, files)).toMatchObject({ run: false, kept: { status: 'Succeeded' } });
    expect(await counted.tryGet(jobId, 3)).toMatchObject({ status: 'Succeeded', outputRows: 1, blockTag: 'twin00' });
  });

  it('a success after a failure of the same attempt recorded since the start keeps the failure', async () => {
    const jobId = newJobId();
    const files = [{ name: 'f0.csv' }] as never;
    const mine = await counted.startAttempt(jobId, 4, 1, files);
    if (!mine.run) throw new Error('attempt 1 runs');
    await counted.record(jobId, 4, 1, files, { status: 'Failed', error: { code: 'X', message: 'x', attempt: 1 } });
    // The orchestrator may already have counted the failure: the success must not put its rows in the output.
    expect(await counted.record(jobId, 4, 1, files, { status: 'Succeeded', succeededItems: 1, outputRows: 1, blocks: '0', blockTag: 'mine00' }, mine.seen)).toMatchObject({ status: 'Failed', attempts: 1 });
    expect(await counted.tryGet(jobId, 4)).toMatchObject({ status: 'Failed', error: { code: 'X' } });
    // The next attempt starts over it and its success is recorded.
    const next = await counted.startAttempt(jobId, 4, 2, files);
    if (!next.run) throw new Error('attempt 2 runs');
    expect(await counted.record(jobId, 4, 2, files, { status: 'Succeeded', succeededItems: 1, outputRows: 1, blocks: '0', blockTag: 'next00' }, next.seen)).toBeUndefined();
    expect(await counted.tryGet(jobId, 4)).toMatchObject({ status: 'Succeeded', attempts: 2, blockTag: 'next00' });
  });
});
