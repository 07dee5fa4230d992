import { ZERO_TOTALS, type JobRef, type PrepareResult } from '../contracts';
import { isTerminal } from '../status';
import type { InputFile } from '../types';
import type { JobActivityDeps } from './deps';
import { inputError } from './errors';
import { newLayout, planFiles } from './planFiles';
import { progressOf } from './progress';
import { parallelismOf, scorerSpecOf } from './scorerSpec';

/** How many mini-batches prepare plans: the first chunk, or its head (a whole first chunk when it goes to a part). */
function miniBatchesPlannedFirst(deps: Pick<JobActivityDeps, 'tuning'>, parallelism: number, firstChunkIsPart: boolean): number {
  const { chunkSize, firstMiniBatches } = deps.tuning;
  if (firstChunkIsPart) return chunkSize;
  return Math.min(chunkSize, Math.max(1, firstMiniBatches ?? Math.max(16, 2 * parallelism)));
}

/** Lists the input, plans mini-batches and records them; the job moves to Running. */
export const prepareActivity = (deps: JobActivityDeps) =>
  async function prepare(ref: JobRef): Promise<PrepareResult> {
    // A re-run (after a crash, or a retry) finds the status the first run left (status.ts: prepare).
    // A job already Running stays so: a twin of this activity that runs late must not move a job
    // whose mini-batches are scoring back to Preparing (its progress reports would be refused) nor
    // write its progress back to zero when it moves it to Running again below.
    const preparing = await deps.jobs.update(
      ref.endpointName,
      ref.jobId,
      (current) => (current.status === 'Running' ? {} : { status: 'Preparing', startTime: current.startTime ?? deps.now().toISOString() }),
      { step: 'prepare' },
    );
    if (!preparing.applied) return { ok: false, canceled: preparing.record.status === 'CancelRequested' || preparing.record.status === 'Canceled' };
    const { spec } = preparing.record;
    // Download the model and code and start the scoring workers while the input is listed (workers
    // a deployment PUT or the app's start already warmed are reused: lib/jobs/deploymentWarmer.ts).
    // Not awaited: a scorer that cannot start is reported by the first mini-batch (fatal outcome).
    void scorerSpecOf(deps, spec)
      .then((scorerSpec) => deps.scorer.warm(scorerSpec, parallelismOf(spec.settings), spec.params))
      .catch(() => undefined);
    // Scoring starts after one short listing page: enough mini-batches to fill the window twice.
    // Listing costs about a millisecond a file on Azurite (the service, and the SDK parsing its
    // XML), so the first chunk's 500 files held the first result back by half a second or more.
    // The first chunk calls planRest once this head is scheduled (batchJobChunk), which plans the
    // rest, the first chunk's included. Not for a first chunk that goes to a part (only when
    // OUTPUT_DIRECT_BLOCKS is below the chunk size): its seal takes the range the chunk started with.
    const firstMiniBatches = miniBatchesPlannedFirst(deps, parallelismOf(spec.settings), newLayout(deps, spec).partsFromChunk === 0);
    const firstFiles = firstMiniBatches * spec.settings.miniBatchSize;
    let listed: { files: InputFile[]; complete: boolean };
    try {
      listed = await deps.listFirstInputFiles(spec.input, firstFiles);
    } catch (err) {
      return inputError(err);
    }
    const planned = await planFiles(deps, ref, spec, listed.files, 0, listed.files.length, newLayout(deps, spec));
    if (!planned.ok) return planned;
    const { plan } = planned;
    // A plan adopted from an earlier run (planFiles) was made from that run's listing: a full first
    // chunk may have more after it, which planRest lists (and checks the first files are the same).
    const complete = planned.adopted ? plan.totalFiles < firstFiles : listed.complete;
    const running = await deps.jobs.update(ref.endpointName, ref.jobId, { status: 'Running', progress: progressOf(plan, ZERO_TOTALS) }, { step: 'run' });
    // A twin of this activity (Durable runs one twice at times) moved the job to Running first: it
    // planned the same, so this run succeeded too. (Refusing it would fail the job, with no error.)
    if (!running.applied && running.record.status === 'Running') return { ok: true, plan, complete };
    // A job that ended while this listed (settled after a terminate): finish's clean-up ran before the plan was written here.
    if (!running.applied && isTerminal(running.record.status)) await deps.plans.deleteJob(ref.jobId);
    if (!running.applied) return { ok: false, canceled: running.record.status === 'CancelRequested' };
    return { ok: true, plan, complete };
  };
