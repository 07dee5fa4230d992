import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiError } from '../../../lib/http/apiError';
import { IdempotencyStore, readRequestId, requestHash, type IdempotencyKey } from '../../../lib/jobs/idempotency';
import { newJobId } from '../../../lib/jobs/jobId';
import { storageClients } from '../../../lib/storage/clients';

let store: IdempotencyStore;
const alice = { oid: 'oid-a', tid: 'tid' };
const bob = { oid: 'oid-b', tid: 'tid' };
const hashA = requestHash({ input: 'a' });
const hashB = requestHash({ input: 'b' });
let n = 0;
const freshKey = (caller = alice, endpoint = 'idem-ep'): IdempotencyKey => ({ caller, endpoint, requestId: `req-${++n}-${Date.now()}` });

beforeAll(() => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  store = new IdempotencyStore(clients.table('libidempotencytest'));
});

describe('idempotency claims', () => {
  it('gives the same caller and request id the same job', async () => {
    const key = freshKey();
    const first = await store.claim(key, { jobId: 'job-1', requestHash: hashA });
    expect(first).toEqual({ jobId: 'job-1', existing: false, sameRequest: true });
    const again = await store.claim(key, { jobId: 'job-2', requestHash: hashA });
    expect(again).toEqual({ jobId: 'job-1', existing: true, sameRequest: true });
    const endpointCase = await store.claim({ ...key, endpoint: 'IDEM-EP' }, { jobId: 'job-3', requestHash: hashA });
    expect(endpointCase.jobId).toBe('job-1');
  });

  it('flags a different request with the same id', async () => {
    const key = freshKey();
    await store.claim(key, { jobId: 'job-1', requestHash: hashA });
    expect(await store.claim(key, { jobId: 'job-2', requestHash: hashB })).toEqual({ jobId: 'job-1', existing: true, sameRequest: false });
  });

  it('keeps callers and endpoints apart', async () => {
    const key = freshKey();
    await store.claim(key, { jobId: 'job-a', requestHash: hashA });
    expect((await store.claim({ ...key, caller: bob }, { jobId: 'job-b', requestHash: hashA })).existing).toBe(false);
    expect((await store.claim({ ...key, caller: { ...alice, tid: 'other' } }, { jobId: 'job-c', requestHash: hashA })).existing).toBe(false);
    expect((await store.claim({ ...key, endpoint: 'other-ep' }, { jobId: 'job-d', requestHash: hashA })).existing).toBe(false);
  });

  it('lets exactly one of concurrent claims win; all get its job', async () => {
    for (const count of [2, 10]) {
      const key = freshKey();
      const proposed = Array.from({ length: count }, () => newJobId());
      const claims = await Promise.all(proposed.map((jobId) => store.claim(key, { jobId, requestHash: hashA })));
      const winners = claims.filter((c) => !c.existing);
      expect(winners).toHaveLength(1);
      expect(new Set(claims.map((c) => c.jobId))).toEqual(new Set([winners[0]!.jobId]));
      expect(claims.every((c) => c.sameRequest)).toBe(true);
    }
  });

  it('releases a claim only for the job that holds it', async () => {
    const key = freshKey();
    await store.claim(key, { jobId: 'job-1', requestHash: hashA });
    await store.release(key, 'job-other');
    expect((await store.claim(key, { jobId: 'job-2', requestHash: hashA })).jobId).toBe('job-1');
    await store.release(key, 'job-1');
    expect(await store.claim(key, { jobId: 'job-2', requestHash: hashB })).toEqual({ jobId: 'job-2', existing: false, sameRequest: true });
    await store.release(freshKey(), 'never-claimed'); // nothing to release: no error
  });

  it('takes over a stale claim whose job was never recorded, but not a live one', async () => {
    const key = freshKey();
    const past = () => new Date(Date.now() - 5 * 60_000);
    await store.claim(key, { jobId: 'job-died', requestHash: hashA, now: past });
    const live = await store.claim(key, { jobId: 'job-x', requestHash: hashA, jobExists: async () => true });
    expect(live).toEqual({ jobId: 'job-died', existing: true, sameRequest: true });
    const young = await store.claim(key, { jobId: 'job-x', requestHash: hashA, jobExists: async () => false, staleAfterMs: 60 * 60_000 });
    expect(young.existing).toBe(true);
    const taken = await Promise.all(
      ['job-y', 'job-z'].map((jobId) => store.claim(key, { jobId, requestHash: hashB, jobExists: async (id) => id !== 'job-died' })),
    );
    expect(taken.filter((c) => !c.existing)).toHaveLength(1);
    const winner = taken.find((c) => !c.existing)!.jobId;
    expect(taken.map((c) => c.jobId)).toEqual([winner, winner]);
  });
});

describe('request ids and hashes', () => {
  it('reads the header', () => {
    expect(readRequestId(null)).toBeUndefined();
    expect(readRequestId('')).toBeUndefined();
    expect(readRequestId('7d1b1a3e-3f0e-4c2a-9d55-0c1f2f5b8a11')).toBe('7d1b1a3e-3f0e-4c2a-9d55-0c1f2f5b8a11');
    for (const bad of ['has space', 'x'.repeat(201), 'ü']) {
      const err = (() => {
        try {
          readRequestId(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).target).toBe('x-ms-client-request-id');
    }
  });

  it('hashes equal requests equally whatever the key order', () => {
    expect(requestHash({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(requestHash({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
    expect(requestHash({ a: 1, x: undefined })).toBe(requestHash({ a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: '1' }));
    expect(requestHash([1, 2])).not.toBe(requestHash([2, 1]));
  });
});
