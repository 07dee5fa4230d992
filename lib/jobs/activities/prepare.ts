import { ZERO_TOTALS, type JobRef, type PrepareResult } from '../contracts';
import type { InputFile } from '../types';
import type { JobActivityDeps } from './deps';
import { inputError } from './errors';
import { newLayout, planFiles } from './planFiles';
import { progressOf } from './progress';
import { scorerSpecOf, warmWorkers } from './scorerSpec';

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
      .then((scorerSpec) => deps.scorer.warm(scorerSpec, warmWorkers(spec.settings), spec.params))
      .catch(() => undefined);
    // The first chunk is planned from the first listing page, so scoring starts at once; a big
    // input's other pages are listed (planRest) while the first chunk runs.
    const firstFiles = deps.tuning.chunkSize * spec.settings.miniBatchSize;
    let listed: { files: InputFile[]; complete: boolean };
    try {
      listed = await deps.listFirstInputFiles(spec.input, firstFiles);
    } catch (err) {
      return inputError(err);
    }
    const planned = await planFiles(deps, ref, spec, listed.files, 0, listed.files.length, newLayout(deps, spec));
    if (!planned.ok) return planned;
    const { plan } = planned;
    const running = await deps.jobs.update(ref.endpointName, ref.jobId, { status: 'Running', progress: progressOf(plan, ZERO_TOTALS) }, { step: 'run' });
    // A twin of this activity (Durable runs one twice at times) moved the job to Running first: it
    // planned the same, so this run succeeded too. (Refusing it would fail the job, with no error.)
    if (!running.applied && running.record.status === 'Running') return { ok: true, plan, complete: listed.complete };
    if (!running.applied) return { ok: false, canceled: running.record.status === 'CancelRequested' };
    return { ok: true, plan, complete: listed.complete };
  };
