import type { ProgressUpdate, Totals } from '../contracts';
import type { JobActivityDeps } from './deps';
import { progressOf } from './progress';

/** Live counts while a job scores. */
export const reportProgressActivity = (deps: JobActivityDeps) =>
  async function reportProgress(update: ProgressUpdate): Promise<void> {
    // Counts only: the totals may have grown since this chunk started (planRest).
    await deps.jobs.update(update.endpointName, update.jobId, (current) => {
      const { miniBatchesTotal, itemsTotal } = current.progress;
      // Counts only grow: a report delivered late (a redelivery, or a duplicate that ran late)
      // must not move the job's progress back; nothing is written then.
      const done = (p: Totals) => p.miniBatchesSucceeded + p.miniBatchesFailed;
      if (done(update.totals) < done(current.progress)) return {};
      return { progress: progressOf({ miniBatches: miniBatchesTotal, totalFiles: itemsTotal }, update.totals, update.running) };
    }, { step: 'progress' });
  };
