import { isAlreadyExists } from '../storage/once';
import { createHash } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';

/**
 * The block id of mini-batch `index` in a job's output blob. Derived, not random: a re-run
 * stages the same id and replaces the block, so no row is ever written twice. The job's hash
 * keeps two jobs aimed at the same (not yet existing) blob from mixing their blocks.
 */
export function outputBlockId(jobId: string, index: number): string {
  return Buffer.from(`${jobTag(jobId)}-${String(index).padStart(10, '0')}`).toString('base64');
}

/** The part of a job's block ids that names the job (12 hex characters). */
export function jobTag(jobId: string): string {
  return createHash('sha256').update(jobId).digest('hex').slice(0, 12);
}

/** Stages a mini-batch's output (UTF-8 lines, each ending in '\n') as its block. */
export async function stageOutputBlock(blob: BlockBlobClient, jobId: string, index: number, output: Uint8Array): Promise<string> {
  const id = outputBlockId(jobId, index);
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
