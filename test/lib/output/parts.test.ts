import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { newJobId } from '../../../lib/jobs/jobId';
import { commitOutput, newBlockTag, outputBlockId, stageOutputBlock } from '../../../lib/output/blocks';
import { firstPartChunk, mostMiniBatches, OutputParts, partBlockId } from '../../../lib/output/parts';
import { storageClients } from '../../../lib/storage/clients';

let scratch: ContainerClient;
let outputs: ContainerClient;

beforeAll(async () => {
  const { blob } = storageClients({ connectionString: inject('storageConnectionString') });
  scratch = blob.getContainerClient('libpartsscratch');
  outputs = blob.getContainerClient('libpartsoutput');
  await Promise.all([scratch.createIfNotExists(), outputs.createIfNotExists()]);
});

const text = (s: string) => new TextEncoder().encode(s);

describe('output parts', () => {
  it('ids: a part slice id has the length of a mini-batch id and never equals one', () => {
    const job = newJobId();
    const tag = newBlockTag();
    expect(partBlockId(job, 12, 3)).toHaveLength(outputBlockId(job, 7).length);
    expect(partBlockId(job, 12, 3)).toHaveLength(outputBlockId(job, 7, 0, tag).length);
    expect(partBlockId(job, 0, 0)).not.toBe(outputBlockId(job, 0));
    expect(partBlockId(job, 1, 0)).not.toBe(partBlockId(job, 0, 1));
  });

  it('ids: each execution of a mini-batch stages under ids of its own, all of one length (also the untagged ids of older rows)', () => {
    const job = newJobId();
    const [a, b] = [newBlockTag(), newBlockTag()];
    expect(a).toMatch(/^[A-Za-z0-9_-]{6}$/);
    expect(a).not.toBe(b);
    expect(outputBlockId(job, 4, 2, a)).not.toBe(outputBlockId(job, 4, 2, b));
    expect(outputBlockId(job, 4, 2, a)).toBe(outputBlockId(job, 4, 2, a));
    const ids = [outputBlockId(job, 0, 0, a), outputBlockId(job, 5_039_999, 99_999, a), outputBlockId(job, 0), outputBlockId(job, 5_039_999, 99_999), partBlockId(job, 0, 0), partBlockId(job, 10_079, 9_999)];
    expect(new Set(ids.map((id) => id.length))).toEqual(new Set([40])); // 29 characters, base64
    // No tagged id equals an untagged one or a part's (seq 0 of mini-batch 0 against slice 0 of chunk 0).
    const plain = new Set([outputBlockId(job, 0), partBlockId(job, 0, 0)]);
    for (const tag of [a, '000000', '------']) expect(plain.has(outputBlockId(job, 0, 0, tag))).toBe(false);
    expect(() => outputBlockId(job, 0, 0, 'short')).toThrow('not an output block tag');
    expect(() => outputBlockId(job, 36 ** 6, 0, a)).toThrow(RangeError);
  });

  it('chunks that fit the direct limit stay direct', () => {
    expect(firstPartChunk(500, 40_000)).toBe(80);
    expect(firstPartChunk(3, 10)).toBe(3);
  });

  it('a job fits when its direct blocks and one block per part stay within 50,000', () => {
    // Defaults: 40,000 direct mini-batches, then 10,000 parts of 500.
    expect(mostMiniBatches(500, 80)).toBe(40_000 + 10_000 * 500);
    expect(mostMiniBatches(2, 0)).toBe(100_000);
  });

  it('seals a part in slices onto the output, and a repeated seal (after a crash) changes nothing', async () => {
    const job = newJobId();
    const parts = new OutputParts(scratch, 4);
    const output = outputs.getBlockBlobClient(`${job}/predictions.csv`);
    // Chunk 0 is direct; chunk 1 writes a part from mini-batches 2 and 3 (staged out of order).
    const tag = newBlockTag();
    const direct = [await stageOutputBlock(output, job, 0, text('a\n'), 0, tag), await stageOutputBlock(output, job, 1, text('b\n'), 0, tag)];
    const late = await stageOutputBlock(parts.blob(job, 1), job, 3, text('dd\n'), 0, tag);
    const early = await stageOutputBlock(parts.blob(job, 1), job, 2, text('ccc\n'), 0, tag);

    expect(await parts.seal(job, 1, [early, late], output)).toBe(2); // 7 bytes in slices of 4
    expect(await parts.seal(job, 1, [early, late], output)).toBe(2);
    const ids = await parts.blockIds(job, 1);
    expect(ids).toEqual([partBlockId(job, 1, 0), partBlockId(job, 1, 1)]);
    expect(await commitOutput(output, job, [...direct, ...ids])).toBe('committed');
    expect((await output.downloadToBuffer()).toString()).toBe('a\nb\nccc\ndd\n');
  });

  it('an empty part seals to no slices', async () => {
    const job = newJobId();
    const parts = new OutputParts(scratch, 4);
    const output = outputs.getBlockBlobClient(`${job}/predictions.csv`);
    expect(await parts.seal(job, 5, [], output)).toBe(0);
    expect(await parts.blockIds(job, 5)).toEqual([]);
  });
});
