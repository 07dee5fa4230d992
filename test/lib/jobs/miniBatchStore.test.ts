import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newJobId } from '../../../lib/jobs/jobId';
import { MINI_BATCHES_PER_PARTITION, MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { storageClients } from '../../../lib/storage/clients';

let store: MiniBatchStore;

beforeAll(() => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  store = new MiniBatchStore(clients.table('libminibatchstoretest'));
});

const files = (i: number) => [{ name: `f${i}.csv`, url: `https://x/f${i}.csv` }] as never;
const indexes = async (it: AsyncGenerator<{ index: number }>) => {
  const out: number[] = [];
  for await (const r of it) out.push(r.index);
  return out;
};

describe('MiniBatchStore', () => {
  // Indexes on both sides of partition boundaries, recorded out of order, next to another job's.
  const P = MINI_BATCHES_PER_PARTITION;
  const written = [2 * P + 5, 0, P - 1, P, 1, P + 1, 3 * P];
  let job: string;

  beforeAll(async () => {
    job = newJobId();
    const other = newJobId();
    for (const i of written) await store.record(job, i, 1, files(i), { status: i % 2 ? 'Failed' : 'Succeeded', failedItems: i % 2 });
    await store.record(other, 1, 1, files(1), { status: 'Failed', failedItems: 1 });
  });

  it('lists a job in index order across its partitions, and no other job', async () => {
    expect(await indexes(store.list(job))).toEqual([...written].sort((a, b) => a - b));
  });

  it('lists a range across a partition boundary', async () => {
    expect(await indexes(store.listRange(job, P - 1, P + 1))).toEqual([P - 1, P]);
    expect(await indexes(store.listRange(job, 1, 2 * P + 6))).toEqual([1, P - 1, P, P + 1, 2 * P + 5]);
    expect(await indexes(store.listRange(job, 5, 5))).toEqual([]);
  });

  it('reads one mini-batch in any partition', async () => {
    expect(await store.tryGet(job, 2 * P + 5)).toMatchObject({ index: 2 * P + 5, status: 'Failed', files: files(2 * P + 5) });
    expect(await store.tryGet(job, 2 * P + 6)).toBeUndefined();
  });

  it('pages through the problems of one job', async () => {
    const first = await store.listProblems(job, 2);
    expect(first.items.map((r) => r.index)).toEqual([1, P - 1]);
    const rest = await store.listProblems(job, 10, first.continuation);
    expect(rest.items.map((r) => r.index)).toEqual([P + 1, 2 * P + 5]);
  });

  it('of two successes recorded at once, exactly one is written and the other gets it back', async () => {
    const id = newJobId();
    await store.startAttempt(id, 7, 1, files(7));
    const ends = await Promise.all(['aaaaaa', 'bbbbbb'].map((blockTag, i) => store.record(id, 7, 1, files(7), { status: 'Succeeded', succeededItems: 1, outputRows: 10 + i, blocks: `0-${i}`, blockTag })));
    const written = ends.findIndex((kept) => kept === undefined);
    expect(ends.filter((kept) => kept === undefined)).toHaveLength(1);
    const row = await store.tryGet(id, 7);
    expect(row).toMatchObject({ status: 'Succeeded', outputRows: 10 + written, blocks: `0-${written}`, blockTag: ['aaaaaa', 'bbbbbb'][written] });
    expect(ends[1 - written]).toMatchObject({ outputRows: 10 + written, blockTag: row!.blockTag });
    // A later failure of either leaves the success.
    expect(await store.record(id, 7, 1, files(7), { status: 'Failed', error: { code: 'X', message: 'x', attempt: 1 } })).toMatchObject({ blockTag: row!.blockTag });
    expect(await store.tryGet(id, 7)).toMatchObject({ status: 'Succeeded', blockTag: row!.blockTag });
  });
});
