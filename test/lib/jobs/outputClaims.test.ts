import { beforeAll, describe, expect, inject, it } from 'vitest';
import { OutputClaims, STALE_OUTPUT_CLAIM_MS, type OutputHolder } from '../../../lib/jobs/outputClaims';
import { storageClients } from '../../../lib/storage/clients';

// Output claims against Azurite: one conditional insert per output blob (issue 15 item 2).

let claims: OutputClaims;
let n = 0;
const blob = () => `http://127.0.0.1:10000/devstoreaccount1/ws/out/claim-${++n}-${Date.now()}.csv`;
const live = async () => true;
const ended = async () => false;

beforeAll(() => {
  claims = new OutputClaims(storageClients({ connectionString: inject('storageConnectionString') }).table('liboutputclaims'));
});

describe('output claims', () => {
  it('of many concurrent claims on one blob exactly one wins; the others are told who holds it', async () => {
    for (let round = 0; round < 5; round++) {
      const url = blob();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => claims.claim(url, { jobId: `job-${i}`, endpoint: 'ep', holds: live })));
      const winners = results.flatMap((r, i) => (r.won ? [`job-${i}`] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (!r.won) expect(r.holder.jobId).toBe(winners[0]);
      expect((await claims.holder(url))?.jobId).toBe(winners[0]);
    }
  });

  it('refuses while the holder holds, and is taken over once it has ended (a release that was missed); concurrent take-overs: one wins', async () => {
    const url = blob();
    expect(await claims.claim(url, { jobId: 'first', endpoint: 'ep', holds: live })).toEqual({ won: true });
    const refused = await claims.claim(url, { jobId: 'second', endpoint: 'ep', holds: live });
    expect(refused).toMatchObject({ won: false, holder: { jobId: 'first', endpoint: 'ep' } });
    // The holder has ended: several invokes find it so at once.
    const seen: OutputHolder[] = [];
    const takeOvers = await Promise.all(
      ['a', 'b', 'c', 'd'].map((jobId) =>
        claims.claim(url, { jobId, endpoint: 'ep', holds: async (h) => (seen.push(h), h.jobId !== 'first') }),
      ),
    );
    expect(takeOvers.filter((r) => r.won)).toHaveLength(1);
    expect(seen.some((h) => h.jobId === 'first')).toBe(true);
  });

  it('the same job claiming again is not refused (a retried step); release removes only its own claim', async () => {
    const url = blob();
    await claims.claim(url, { jobId: 'mine', endpoint: 'ep', holds: live });
    expect(await claims.claim(url, { jobId: 'mine', endpoint: 'ep', holds: live })).toEqual({ won: true });
    await claims.release(url, 'someone-else');
    expect((await claims.holder(url))?.jobId).toBe('mine');
    await claims.release(url, 'mine');
    expect(await claims.holder(url)).toBeUndefined();
    expect(await claims.claim(url, { jobId: 'next', endpoint: 'ep', holds: ended })).toEqual({ won: true });
  });

  it('passes the claim time, so an unrecorded holder can go stale', async () => {
    const url = blob();
    const t0 = new Date('2026-01-01T00:00:00Z');
    await claims.claim(url, { jobId: 'died', endpoint: 'ep', holds: live, now: () => t0 });
    const later = new Date(t0.getTime() + STALE_OUTPUT_CLAIM_MS + 1);
    const result = await claims.claim(url, {
      jobId: 'retry',
      endpoint: 'ep',
      now: () => later,
      holds: async (h) => later.getTime() - Date.parse(h.claimedAt) < STALE_OUTPUT_CLAIM_MS,
    });
    expect(result).toEqual({ won: true });
  });
});
