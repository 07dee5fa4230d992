import { mkdir } from 'node:fs/promises';
import type { MiniBatchTask, ScorerSpec } from '../../scoring/runtime/types';
import { mapLimited } from '../../util/mapLimited';
import type { InputFile } from '../types';
import type { JobActivityDeps } from './deps';

/** Files at most this size (by the listing) may be handed to the no-code scorer in memory... */
export const IN_MEMORY_FILE_BYTES = 16 * 1024 * 1024;
/** ...when the mini-batch's files add up to at most this (a few mini-batches run at once). */
export const IN_MEMORY_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * A mini-batch's input files as the scorer takes them. The no-code scorer reads bytes, so small
 * blob files are downloaded into memory and transferred to its worker: no file written by the
 * host and read back by the worker (12-15% of the app's CPU per row in the profile). Scoring
 * scripts get local file paths, as Azure ML's `run(mini_batch)` does, and so do large files,
 * https files and files of unknown size: downloaded into `dir`.
 */
export async function miniBatchInputs(
  deps: Pick<JobActivityDeps, 'downloadInputFile' | 'downloadInputBytes' | 'tuning'>,
  scorer: ScorerSpec,
  files: InputFile[],
  dir: string,
): Promise<MiniBatchTask['files']> {
  const download = deps.downloadInputBytes;
  const total = files.reduce((sum, f) => sum + (f.size ?? Infinity), 0);
  const inMemory =
    download &&
    scorer.kind === 'tabular' &&
    total <= IN_MEMORY_BATCH_BYTES &&
    files.every((f) => f.ref.kind !== 'https' && f.size !== undefined && f.size <= IN_MEMORY_FILE_BYTES);
  if (inMemory) {
    return mapLimited(files, deps.tuning.downloadConcurrency, async (file) => ({ path: file.name, name: file.name, bytes: await download(file) }));
  }
  // A mini-batch of the same job that just ended may remove the job folder between the two
  // levels mkdir creates: once more then.
  await mkdir(dir, { recursive: true }).catch(() => mkdir(dir, { recursive: true }));
  const paths = await mapLimited(files, deps.tuning.downloadConcurrency, (file) => deps.downloadInputFile(file, dir));
  return paths.map((path, i) => ({ path, name: files[i]!.name }));
}
