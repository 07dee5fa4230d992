import { beforeAll, describe, expect, inject, it } from 'vitest';
import { toErrorResponse } from '../../../lib/http/apiError';
import { newJobId } from '../../../lib/jobs/jobId';
import { MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { storageClients } from '../../../lib/storage/clients';

// GET .../jobs/{id}/errors hands `$skiptoken` from the URL to listProblems: a token the Table
// client cannot decode must be a 400 in the error shape, not a 500 (real Azurite).

let store: MiniBatchStore;

beforeAll(() => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  store = new MiniBatchStore(clients.table('libminibatchproblems'));
});

const files = (i: number) => [{ name: `f${i}.csv`, url: `https://x/f${i}.csv` }] as never;

describe('MiniBatchStore.listProblems continuation', () => {
  it('pages with the tokens it hands out, and refuses one it did not with 400 InvalidQueryParameter', async () => {
    const job = newJobId();
    for (const i of [0, 1, 2]) await store.record(job, i, 1, files(i), { status: 'Failed', error: { code: 'X', message: 'x', attempt: 1 } });
    const first = await store.listProblems(job, 2);
    expect(first.items.map((m) => m.index)).toEqual([0, 1]);
    expect(first.continuation).toBeTruthy();
    const second = await store.listProblems(job, 2, first.continuation);
    expect(second.items.map((m) => m.index)).toEqual([2]);

    for (const bad of ['garbage', 'not base64 at all!', Buffer.from('[1,2]').toString('base64'), Buffer.from('{"nextPartitionKey":5}').toString('base64')]) {
      const err = await store.listProblems(job, 2, bad).then(() => undefined, (e: unknown) => e);
      expect(toErrorResponse(err)).toEqual({
        status: 400,
        jsonBody: { error: { code: 'InvalidQueryParameter', message: 'The continuation token is not valid; start the listing again.', target: '$skiptoken' } },
      });
    }
  });
});
