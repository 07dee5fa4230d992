import { mapLimited } from '../../util/mapLimited';
import type { JobPlan, JobRef } from '../contracts';
import { firstPartChunk, mostMiniBatches } from '../../output/parts';
import { planMiniBatches } from '../plan';
import { startsWith } from '../planManifest';
import type { InputFile, JobError, JobSpec } from '../types';
import type { JobActivityDeps } from './deps';
import { parallelismOf } from './scorerSpec';

/** How a job's mini-batches are grouped: chunks, and from which chunk output goes through parts. */
export interface PlanLayout {
  chunkSize: number;
  partsFromChunk?: number;
}

/** The layout a new job gets from this host's settings. */
export function newLayout(deps: Pick<JobActivityDeps, 'tuning'>, spec: JobSpec): PlanLayout {
  const { chunkSize, directOutputBlocks } = deps.tuning;
  return { chunkSize, ...(spec.settings.outputAction === 'AppendRow' ? { partsFromChunk: firstPartChunk(chunkSize, directOutputBlocks) } : {}) };
}

/**
 * Splits files into mini-batches numbered from `firstIndex` and writes their chunks of the plan.
 * The layout a job started with stays its layout, whatever this host's settings say.
 */
export async function planFiles(
  deps: Pick<JobActivityDeps, 'plans' | 'tuning'>,
  ref: JobRef,
  spec: JobSpec,
  files: InputFile[],
  firstIndex: number,
  totalFiles: number,
  layout: PlanLayout,
): Promise<{ ok: true; plan: JobPlan; adopted?: boolean } | { ok: false; error: JobError }> {
  const size = spec.settings.miniBatchSize;
  const batches = planMiniBatches(files, size);
  const totalBatches = firstIndex + batches.length;
  const { chunkSize, partsFromChunk } = layout;
  if (partsFromChunk !== undefined) {
    const most = mostMiniBatches(chunkSize, partsFromChunk);
    if (totalBatches > most) {
      const fits = Math.ceil(totalFiles / most);
      const message = `${totalFiles} files make ${totalBatches} mini-batches of ${size}; an append_row output holds at most ${most}. Set miniBatchSize to ${fits} or more.`;
      return { ok: false, error: { code: 'TooManyMiniBatches', message } };
    }
  }
  const chunks: [InputFile[][], number][] = [];
  for (let i = 0; i < batches.length; i += chunkSize) chunks.push([batches.slice(i, i + chunkSize), (firstIndex + i) / chunkSize]);
  const stored = await mapLimited(chunks, 8, ([chunk, index]) => deps.plans.write(ref.jobId, index, chunk));
  // Chunks only grow (PlanManifest.write): one already there comes from an earlier run of this
  // step (a retry, or a twin Durable ran at the same time) and may be scoring. The same input plans
  // the same, or a stored chunk that goes on past this plan; if this listing planned otherwise, the
  // input changed in between. The first chunk alone (prepare) is then planned again from the stored
  // one, so this run answers with the plan in use; for more chunks (planRest) the runs may have
  // interleaved, and the job cannot go on (InputChanged).
  if (stored.some((s, i) => !startsWith(s, chunks[i]![0]))) {
    if (firstIndex !== 0 || chunks.length !== 1) return { ok: false, error: inputChanged(spec) };
    const files = stored[0]!.flat();
    const replanned = await planFiles(deps, ref, spec, files, 0, files.length, layout);
    return replanned.ok ? { ...replanned, adopted: true } : replanned;
  }
  const plan: JobPlan = {
    totalFiles,
    miniBatches: totalBatches,
    miniBatchSize: size,
    parallelism: parallelismOf(spec.settings),
    errorThreshold: spec.settings.errorThreshold,
    maxRetries: spec.settings.maxRetries,
    retryDelayMs: deps.tuning.retryDelayMs,
    chunkSize,
    progressIntervalMs: deps.tuning.progressIntervalMs,
    ...(partsFromChunk !== undefined ? { partsFromChunk } : {}),
  };
  return { ok: true, plan };
}

/** The input's files are not the ones the job was planned from. */
export function inputChanged(spec: JobSpec): JobError {
  return { code: 'InputChanged', message: `The input ${spec.input.uri} changed while the job was starting (files were added or removed among the first ones); run the job again.` };
}
