import type { BlockBlobClient } from '@azure/storage-blob';
import { statusOf } from '../storage/once';
import { mapLimited } from '../util/mapLimited';
import { commitOutput, outputBlockId, parseBlockRanges } from './blocks';
import { MAX_COMMITTED_BLOCKS, type OutputParts } from './parts';

/**
 * Putting a job's output together from what its mini-batches staged: direct blocks on the output
 * blob, parts sealed per chunk, and the one conditional commit.
 */

/** The mini-batch rows, as far as the output needs them (the job's MiniBatchStore). */
export interface StagedBlocks {
  listRange(jobId: string, from: number, to: number): AsyncIterable<{ index: number; status: string; blocks?: string; blockTag?: string }>;
}

export interface AssemblyDeps {
  miniBatches: StagedBlocks;
  parts: OutputParts;
}

/** How a job's mini-batches write: chunks before `partsFromChunk` stage on the output blob directly. */
export interface OutputLayout {
  miniBatches: number;
  chunkSize: number;
  partsFromChunk?: number;
}

export class OutputTooLargeError extends Error {
  readonly code = 'OutputTooLarge';
  constructor(blocks: number) {
    super(`The output would need ${blocks} blocks; a blob holds at most ${MAX_COMMITTED_BLOCKS}. Use a larger miniBatchSize or split the input.`);
  }
}

/** The blocks staged by the succeeded mini-batches from..to-1 (by the execution each row names), in index order. */
async function succeededBlocks(deps: Pick<AssemblyDeps, 'miniBatches'>, jobId: string, from: number, to: number): Promise<string[]> {
  const blocks: string[] = [];
  for await (const mb of deps.miniBatches.listRange(jobId, from, to)) {
    if (mb.status !== 'Succeeded' || !mb.blocks) continue;
    for (const seq of parseBlockRanges(mb.blocks)) blocks.push(outputBlockId(jobId, mb.index, seq, mb.blockTag));
  }
  return blocks;
}

/** A chunk that writes through a part is done: commit the part and stage it on the output blob. */
export async function sealPart(deps: AssemblyDeps, jobId: string, chunk: { index: number; from: number; to: number }, output: BlockBlobClient): Promise<number> {
  const blocks = await succeededBlocks(deps, jobId, chunk.from, chunk.to);
  return deps.parts.seal(jobId, chunk.index, blocks, output);
}

/** The output's blocks in input order: direct mini-batch blocks, then each part's slices. */
async function outputBlocks(deps: AssemblyDeps, jobId: string, layout: OutputLayout): Promise<string[]> {
  const partsFrom = layout.partsFromChunk ?? Infinity;
  const directEnd = Math.min(layout.miniBatches, partsFrom * layout.chunkSize);
  const blocks = await succeededBlocks(deps, jobId, 0, directEnd);
  const chunks = Math.ceil(layout.miniBatches / layout.chunkSize);
  const partChunks = Array.from({ length: Math.max(0, chunks - partsFrom) }, (_, i) => partsFrom + i);
  for (const ids of await mapLimited(partChunks, 16, (chunk) => deps.parts.blockIds(jobId, chunk))) blocks.push(...ids);
  return blocks;
}

/**
 * Commits the job's output once, in input order. Throws OutputTooLargeError (more blocks than a
 * blob holds) or OutputExistsError (someone else wrote the blob meanwhile); both end the job.
 */
export async function assembleOutput(deps: AssemblyDeps, output: BlockBlobClient, jobId: string, layout: OutputLayout): Promise<void> {
  const blocks = await outputBlocks(deps, jobId, layout);
  if (blocks.length > MAX_COMMITTED_BLOCKS) throw new OutputTooLargeError(blocks.length);
  await commitOutput(output, jobId, blocks);
}

/** Whether this job committed the output blob (its id is in the blob's metadata). */
export async function committedBy(output: BlockBlobClient, jobId: string): Promise<boolean> {
  const properties = await output.getProperties().catch((err: unknown) => {
    if (statusOf(err) === 404) return undefined;
    throw err; // not knowing is not "not committed": the caller's retry asks again
  });
  return properties?.metadata?.batchjobid === jobId;
}
