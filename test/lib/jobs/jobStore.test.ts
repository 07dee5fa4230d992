import { beforeAll, describe, expect, inject, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { newJobId } from '../../../lib/jobs/jobId';
import { JobStore } from '../../../lib/jobs/jobStore';
import type { JobStatus } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';
import { jobRecord } from './fixtures';
import { failure } from '../../support/failure';

let store: JobStore;
// The same table through a client that records every request (method and URL): how a read is done.
let requests: string[] = [];
let counted: JobStore;
let raw: TableClient;


beforeAll(() => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  store = new JobStore(clients.table('libjobstoretest'));
  const record = { name: 'record', sendRequest: async (req: { method: string; url: string }, next: (r: any) => Promise<any>) => (requests.push(`${req.method} ${decodeURIComponent(req.url)}`), next(req)) };
  raw = TableClient.fromConnectionString(inject('storageConnectionString'), 'libjobstoretest', { allowInsecureConnection: true });
  counted = new JobStore(TableClient.fromConnectionString(inject('storageConnectionString'), 'libjobstoretest', { allowInsecureConnection: true, additionalPolicies: [{ policy: record as any, position: 'perCall' }] }));
});

/** The requests `fn` makes through `counted`. */
async function requestsOf<T>(fn: () => Promise<T>): Promise<{ result: T; requests: string[] }> {
  await counted.get('warm-up', newJobId()); // the table's create-once happens here, not in fn
  requests = [];
  const result = await fn();
  return { result, requests };
}

const isPointRead = (r: string) => /^GET .*\(PartitionKey='[^']*',RowKey='[^']*'\)/.test(r) && !r.includes('$filter');

describe('JobStore findById (any endpoint, by the job index)', () => {
  it('finds a job by id alone with two point reads, whichever endpoint it is on', async () => {
    const id = newJobId();
    await store.create(jobRecord('Index-Ep', id));
    const { result, requests } = await requestsOf(() => counted.findById(id));
    expect(result).toMatchObject({ jobId: id, spec: { endpointName: 'Index-Ep' } });
    expect(requests).toHaveLength(2);
    expect(requests.every(isPointRead), requests.join('\n')).toBe(true);
  });

  it('finds a job recorded before the index (no index row) by a scan, and indexes it for the next read', async () => {
    const id = newJobId();
    await store.create(jobRecord('old-ep', id));
    const index: any[] = [];
    for await (const e of raw.listEntities({ queryOptions: { filter: `RowKey eq '${id}'` } })) if (e['Spec'] === undefined) index.push(e);
    expect(index.map((e) => [e.partitionKey.slice(0, 6), e['Endpoint']])).toEqual([['jobid:', 'old-ep']]);
    await raw.deleteEntity(index[0]!.partitionKey, id); // what an older build wrote: the job row alone

    const first = await requestsOf(() => counted.findById(id));
    expect(first.result).toMatchObject({ jobId: id, spec: { endpointName: 'old-ep' } });
    expect(first.requests.some((r) => r.includes('$filter'))).toBe(true);
    const second = await requestsOf(() => counted.findById(id));
    expect(second.result?.jobId).toBe(id);
    expect(second.requests.every(isPointRead), second.requests.join('\n')).toBe(true);
  });

  it('answers undefined for unknown and impossible ids, and for an index row whose job row was never written', async () => {
    expect(await store.findById(newJobId())).toBeUndefined();
    expect(await store.findById("x' or RowKey ne '")).toBeUndefined();
    const id = newJobId();
    await store.create(jobRecord('half-ep', id));
    await raw.deleteEntity('half-ep', id); // as if the job's row had failed after its index row
    const { result, requests } = await requestsOf(() => counted.findById(id));
    expect(result).toBeUndefined();
    expect(requests.every(isPointRead), requests.join('\n')).toBe(true); // no scan: the index says where
    // A retried create of that job goes through (the index row is its own).
    await store.create(jobRecord('half-ep', id));
    expect((await store.findById(id))?.spec.endpointName).toBe('half-ep');
  });

  it('keeps job ids unique across endpoints: the same id on another endpoint is a 409', async () => {
    const id = newJobId();
    await store.create(jobRecord('first-ep', id));
    const err = await failure(store.create(jobRecord('second-ep', id)));
    expect([err.status, err.code]).toEqual([409, 'Conflict']);
    expect(await store.get('second-ep', id)).toBeUndefined();
    expect((await store.findById(id))?.spec.endpointName).toBe('first-ep');
  });
});

describe('JobStore create and get', () => {
  it('round-trips a job with one point read, case-insensitive on the endpoint', async () => {
    const id = newJobId();
    const created = await store.create(jobRecord('Heart-Ep', id));
    expect(created.etag).toBeTruthy();
    const got = await store.get('heart-ep', id);
    expect(got).toMatchObject({ jobId: id, status: 'NotStarted', createdBy: { oid: 'oid-a', name: 'alice' } });
    expect(got!.spec).toEqual(jobRecord('Heart-Ep', id).spec);
    expect(got!.progress.miniBatchesTotal).toBe(0);
    expect(got!.error).toBeUndefined();
    expect(got!.startTime).toBeUndefined();
  });

  it('never overwrites: a second create with the same id is a 409', async () => {
    const id = newJobId();
    await store.create(jobRecord('dup-ep', id));
    const err = await failure(store.create({ ...jobRecord('dup-ep', id), status: 'Failed' }));
    expect(err.status).toBe(409);
    expect((await store.get('dup-ep', id))!.status).toBe('NotStarted');
  });

  it('answers undefined / 404 for unknown and impossible ids without touching other rows', async () => {
    expect(await store.get('heart-ep', newJobId())).toBeUndefined();
    expect(await store.get('heart-ep', '../x')).toBeUndefined();
    expect(await store.get('heart-ep', "x' or PartitionKey ne '")).toBeUndefined();
    const err = await failure(store.getOrThrow('heart-ep', 'batchjob-nope'));
    expect([err.status, err.code]).toEqual([404, 'NotFound']);
  });

  it('refuses a spec too large for its column, clearly', async () => {
    const big = jobRecord('big-ep', newJobId());
    big.spec.params = { blob: 'x'.repeat(40_000) };
    const err = await failure(store.create(big));
    expect([err.status, err.code]).toEqual([413, 'JobTooLarge']);
    expect(err.message).toContain('at most 32000');
  });
});

describe('JobStore list', () => {
  const endpoint = 'list-ep';
  const ids: string[] = [];
  beforeAll(async () => {
    const base = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 7; i++) {
      const at = new Date(base + i * 1000);
      const id = newJobId(at);
      ids.push(id);
      await store.create(jobRecord(endpoint, id, i % 3 === 0 ? 'Completed' : 'Running', at.toISOString()));
    }
    await store.create(jobRecord('other-ep', newJobId())); // another partition: never listed
  });

  it('lists newest first, in pages joined by continuation, without gaps or repeats', async () => {
    const seen: string[] = [];
    let continuation: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(endpoint, { top: 3, ...(continuation ? { continuation } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((j) => j.jobId));
      continuation = page.continuation;
      pages++;
    } while (continuation);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('has no continuation when the page holds everything', async () => {
    const page = await store.list(endpoint, { top: 7 });
    expect(page.items).toHaveLength(7);
    expect(page.continuation).toBeUndefined();
  });

  it('filters by one or several statuses', async () => {
    const completed = await store.list(endpoint, { status: 'Completed' });
    expect(completed.items.map((j) => j.jobId)).toEqual([ids[6], ids[3], ids[0]]);
    const page1 = await store.list(endpoint, { status: ['Completed'], top: 2 });
    expect(page1.items.map((j) => j.jobId)).toEqual([ids[6], ids[3]]);
    const page2 = await store.list(endpoint, { status: ['Completed'], top: 2, continuation: page1.continuation! });
    expect(page2.items.map((j) => j.jobId)).toEqual([ids[0]]);
    expect(page2.continuation).toBeUndefined();
    const both = await store.list(endpoint, { status: ['Completed', 'Running'] });
    expect(both.items).toHaveLength(7);
    expect((await store.list(endpoint, { status: 'Canceled' })).items).toEqual([]);
  });

  it('refuses bad $top and continuation values', async () => {
    for (const top of [0, 1001, 2.5]) expect((await failure(store.list(endpoint, { top }))).target).toBe('$top');
    expect((await failure(store.list(endpoint, { continuation: "a' or 'b" }))).status).toBe(400);
  });
});

describe('JobStore update', () => {
  it('merges only the given fields', async () => {
    const id = newJobId();
    await store.create(jobRecord('upd-ep', id, 'Preparing'));
    const started = await store.update('upd-ep', id, { status: 'Running', startTime: '2025-01-01T00:00:00.000Z' });
    expect(started.applied).toBe(true);
    const progress = { ...started.record.progress, miniBatchesTotal: 4, miniBatchesPending: 4 };
    const r = await store.update('upd-ep', id, { progress });
    expect(r.applied && r.record.status).toBe('Running');
    const got = (await store.get('upd-ep', id))!;
    expect(got).toMatchObject({ status: 'Running', startTime: '2025-01-01T00:00:00.000Z', progress });
    expect(got.spec.params).toEqual({ threshold: '0.7' });
    expect(got.etag).toBe(r.record.etag);
  });

  it('never changes a terminal job again', async () => {
    const id = newJobId();
    await store.create(jobRecord('term-ep', id));
    const failed = await store.update('term-ep', id, { status: 'Failed', error: { code: 'InputEmpty', message: 'no files' }, endTime: 'T1' });
    expect(failed.applied).toBe(true);
    for (const patch of [{ status: 'Running' as JobStatus }, { status: 'Completed' as JobStatus }, { logsUri: 'x' }, { endTime: 'T2' }]) {
      const r = await store.update('term-ep', id, patch);
      expect(r).toMatchObject({ applied: false, reason: 'Terminal', record: { status: 'Failed' } });
    }
    const got = (await store.get('term-ep', id))!;
    expect(got).toMatchObject({ status: 'Failed', endTime: 'T1', error: { code: 'InputEmpty', message: 'no files' } });
    expect(got.logsUri).toBeUndefined();
  });

  it('applies a step only from the statuses it may start from, and keeps a cancel request', async () => {
    const id = newJobId();
    await store.create(jobRecord('cancel-ep', id, 'Running'));
    const notYet = await store.update('cancel-ep', id, { status: 'Running' }, { step: 'run' });
    expect(notYet).toMatchObject({ applied: false, reason: 'StatusNotAllowed' });
    const backwards = await store.update('cancel-ep', id, { status: 'NotStarted' });
    expect(backwards).toMatchObject({ applied: false, reason: 'StatusNotAllowed', record: { status: 'Running' } });
    const cancel = await store.update('cancel-ep', id, { status: 'CancelRequested' }, { step: 'cancel' });
    expect(cancel.applied).toBe(true);
    const late = await store.update('cancel-ep', id, { status: 'Running' });
    expect(late).toMatchObject({ applied: false, reason: 'CancelRequested' });
    const lateProgress = await store.update('cancel-ep', id, { progress: cancel.record.progress }, { step: 'progress' });
    expect(lateProgress).toMatchObject({ applied: false, reason: 'CancelRequested' });
    const progress = await store.update('cancel-ep', id, { progress: { ...cancel.record.progress, miniBatchesSucceeded: 1 } });
    expect(progress.applied).toBe(true);
    const done = await store.update('cancel-ep', id, { status: 'Canceled', endTime: 'T' });
    expect(done.applied).toBe(true);
    const again = await store.update('cancel-ep', id, { status: 'CancelRequested' }, { step: 'cancel' });
    expect(again).toMatchObject({ applied: false, reason: 'Terminal' });
    expect((await store.get('cancel-ep', id))!.status).toBe('Canceled');
  });

  it('lets exactly one of many concurrent terminal updates win', async () => {
    const id = newJobId();
    await store.create(jobRecord('race-ep', id, 'Running'));
    const patches = Array.from({ length: 10 }, (_, i) => ({ status: (i % 2 ? 'Completed' : 'Failed') as JobStatus, endTime: `T${i}` }));
    const results = await Promise.all(patches.map((p) => store.update('race-ep', id, p)));
    const winners = results.filter((r) => r.applied);
    expect(winners).toHaveLength(1);
    const final = (await store.get('race-ep', id))!;
    expect(final.status).toBe(winners[0]!.record.status);
    expect(final.endTime).toBe(winners[0]!.record.endTime);
    for (const r of results.filter((x) => !x.applied)) expect(r).toMatchObject({ reason: 'Terminal' });
  });

  it('retries concurrent non-terminal merges until each is applied', async () => {
    const id = newJobId();
    await store.create(jobRecord('merge-ep', id, 'Running'));
    const results = await Promise.all([
      store.update('merge-ep', id, { startTime: 'S' }),
      store.update('merge-ep', id, { logsUri: 'L' }),
      store.update('merge-ep', id, { status: 'Finalizing' }),
    ]);
    expect(results.every((r) => r.applied)).toBe(true);
    expect(await store.get('merge-ep', id)).toMatchObject({ startTime: 'S', logsUri: 'L', status: 'Finalizing' });
  });

  it('404s for a job that does not exist', async () => {
    const err = await failure(store.update('upd-ep', newJobId(), { status: 'Running' }));
    expect(err.status).toBe(404);
  });
});
