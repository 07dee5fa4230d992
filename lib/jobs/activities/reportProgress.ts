import type { ProgressUpdate } from '../contracts';
import type { JobActivityDeps } from './deps';
import { progressOf } from './progress';

/** Live counts while a job scores. */
export const reportProgressActivity = (deps: JobActivityDeps) =>
  async function reportProgress(update: ProgressUpdate): Promise<void> {
    // Counts only: the totals may have grown since this chunk started (planRest).
    await deps.jobs.update(update.endpointName, update.jobId, (current) => {
      const { miniBatchesTotal, itemsTotal } = current.progress;
      return { progress: progressOf({ miniBatches: miniBatchesTotal, totalFiles: itemsTotal }, update.totals, update.running) };
    }, { step: 'progress' });
  };
