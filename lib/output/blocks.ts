import { isAlreadyExists } from '../storage/once';
import { createHash, randomBytes } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';

/**
 * The id of block `seq` (0, 1, ...) of mini-batch `index` staged by one execution (`tag`, from
 * `newBlockTag`). Durable may run a mini-batch twice at once on two instances, and a script's
 * output may differ between runs (a timestamp, a random value, floats from another CPU): each
 * execution stages under ids of its own, the mini-batch's row records the tag of the one that
 * won, and only that one's blocks are committed (the commit discards the others).
 * The job's hash keeps two jobs aimed at the same (not yet existing) blob from mixing their blocks.
 * All ids of a blob have one length (Azure's rule): 29 characters, as the parts' (parts.ts); a
 * tagged id has '.' where untagged and part ids have '-', so none equals another.
 * Without a tag: the ids of rows recorded before tags (jobs running across that deploy).
 */
export function outputBlockId(jobId: string, index: number, seq = 0, tag?: string): string {
  if (tag === undefined) return Buffer.from(`${jobTag(jobId)}-${String(index).padStart(10, '0')}${String(seq).padStart(6, '0')}`).toString('base64');
  if (!TAG.test(tag)) throw new Error(`not an output block tag: '${tag}'`);
  if (!(index < 36 ** 6 && seq < 36 ** 4)) throw new RangeError(`mini-batch ${index} block ${seq} is past what an output block id holds`);
  return Buffer.from(`${jobTag(jobId)}.${tag}${index.toString(36).padStart(6, '0')}${seq.toString(36).padStart(4, '0')}`).toString('base64');
}

const TAG = /^[A-Za-z0-9_-]{6}$/;

/** A new execution's tag for its block ids: 6 random base64url characters (36 bits). */
export function newBlockTag(): string {
  return randomBytes(6).toString('base64url').slice(0, 6);
}

/** The part of a job's block ids that names the job (12 hex characters). */
export function jobTag(jobId: string): string {
  return createHash('sha256').update(jobId).digest('hex').slice(0, 12);
}

/** Stages block `seq` of a mini-batch's output (UTF-8 lines, each ending in '\n') under execution `tag`'s id. */
export async function stageOutputBlock(blob: BlockBlobClient, jobId: string, index: number, output: Uint8Array, seq: number, tag: string): Promise<string> {
  const id = outputBlockId(jobId, index, seq, tag);
  const data = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  await blob.stageBlock(id, data, data.length);
  return id;
}

export class OutputExistsError extends Error {
  readonly code = 'OutputAlreadyExists';
}

/**
 * Commits the staged blocks in mini-batch order, once: `If-None-Match: *` means an existing blob
 * is never overwritten. A repeat of our own commit (after a crash) is recognised by the job id
 * we store in the blob's metadata.
 */
export async function commitOutput(blob: BlockBlobClient, jobId: string, blockIds: string[]): Promise<'committed' | 'already-committed'> {
  try {
    await blob.commitBlockList(blockIds, {
      conditions: { ifNoneMatch: '*' },
      metadata: { batchjobid: jobId },
      blobHTTPHeaders: { blobContentType: 'text/csv; charset=utf-8' },
    });
    return 'committed';
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const properties = await blob.getProperties();
    if (properties.metadata?.batchjobid === jobId) return 'already-committed';
    throw new OutputExistsError(`The output ${blob.url} already exists (written by something else while the job ran); the job's output was not written.`);
  }
}

/** `[0,1,2,5,7,8]` as `0-2,5,7-8`: how a mini-batch records its blocks (a table column). */
export function formatBlockRanges(seqs: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seqs.length; ) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j]! + 1) j++;
    parts.push(i === j ? `${seqs[i]}` : `${seqs[i]}-${seqs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function parseBlockRanges(text: string): number[] {
  const seqs: number[] = [];
  for (const part of text.split(',')) {
    if (part === '') continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`not a block range: '${part}'`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let s = from; s <= to; s++) seqs.push(s);
  }
  return seqs;
}
