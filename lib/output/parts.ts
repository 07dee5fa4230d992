import { jobTag } from './blocks';
import { isAlreadyExists } from '../storage/once';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';

/**
 * Output for jobs with more mini-batches than one blob can hold as blocks (50,000 committed,
 * 100,000 uncommitted). Chunks before `partsFromChunk` stage one block per mini-batch on the
 * output blob, as small jobs do. Later chunks stage theirs on a part blob of their own; when the
 * chunk is done its part is committed and copied onto the output blob as a few large blocks.
 */

/** Mini-batch blocks staged straight on the output blob, at most; the rest go through parts. */
export const DIRECT_OUTPUT_BLOCKS = 40_000;
/** Azure Blob commits at most 50,000 blocks per blob. */
export const MAX_COMMITTED_BLOCKS = 50_000;
/**
 * A part is copied in blocks of this size, each read into memory and sent as a Buffer (a stream
 * body cannot be sent again when the storage client retries). 10,000 slices hold 640 GiB.
 */
export const PART_SLICE_BYTES = 64 * 1024 * 1024;

/** The first chunk whose mini-batches write through parts (every chunk up to the limit is direct). */
export function firstPartChunk(chunkSize: number, directBlocks: number): number {
  return Math.floor(directBlocks / chunkSize);
}

/**
 * The most mini-batches an append_row job can have: each direct mini-batch and each part takes
 * at least one of the output's committed blocks.
 */
export function mostMiniBatches(chunkSize: number, partsFromChunk: number): number {
  const direct = partsFromChunk * chunkSize;
  return direct + (MAX_COMMITTED_BLOCKS - direct) * chunkSize;
}

/**
 * Block id of slice `slice` of chunk `chunk`'s part on the output blob: the same length as the
 * mini-batch ids (a blob's block ids must all be equal in length) and never equal to one ('-p'
 * where theirs have '-' and a digit, or '.').
 */
export function partBlockId(jobId: string, chunk: number, slice: number): string {
  return Buffer.from(`${jobTag(jobId)}-p${String(chunk).padStart(9, '0')}${String(slice).padStart(6, '0')}`).toString('base64');
}

export class OutputParts {
  constructor(
    private readonly container: ContainerClient,
    private readonly sliceBytes = PART_SLICE_BYTES,
  ) {}

  /** The part blob of one chunk (in the jobs' scratch container, next to the plan). */
  blob(jobId: string, chunk: number): BlockBlobClient {
    return this.container.getBlockBlobClient(`${jobId}/parts/chunk-${String(chunk).padStart(6, '0')}.csv`);
  }

  /**
   * Commits a chunk's part from its mini-batches' blocks (in index order, each mini-batch's by the
   * execution its row names), once; then stages it
   * on the output blob as slices with derived ids. Safe to repeat after a crash at any point: the
   * commit is conditional and re-staging a slice replaces it with the same bytes.
   */
  async seal(jobId: string, chunk: number, blockIds: string[], output: BlockBlobClient): Promise<number> {
    const part = this.blob(jobId, chunk);
    try {
      await part.commitBlockList(blockIds, { conditions: { ifNoneMatch: '*' }, metadata: { batchjobid: jobId } });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Committed by an earlier attempt of this seal: its uncommitted blocks are gone, keep it.
    }
    const size = (await part.getProperties()).contentLength ?? 0;
    const slices = Math.ceil(size / this.sliceBytes);
    for (let slice = 0; slice < slices; slice++) {
      const offset = slice * this.sliceBytes;
      const count = Math.min(this.sliceBytes, size - offset);
      const data = await part.downloadToBuffer(offset, count);
      await output.stageBlock(partBlockId(jobId, chunk, slice), data, data.length);
    }
    return slices;
  }

  /** The output block ids of a sealed part, in order. */
  async blockIds(jobId: string, chunk: number): Promise<string[]> {
    const size = (await this.blob(jobId, chunk).getProperties()).contentLength ?? 0;
    return Array.from({ length: Math.ceil(size / this.sliceBytes) }, (_, slice) => partBlockId(jobId, chunk, slice));
  }
}
