import type { JobPlan, Totals } from '../contracts';
import type { JobProgress } from '../types';

/** The job's progress column from the plan's sizes and the counts so far. */
export function progressOf(plan: Pick<JobPlan, 'miniBatches' | 'totalFiles'>, totals: Totals, running = 0): JobProgress {
  const done = totals.miniBatchesSucceeded + totals.miniBatchesFailed;
  const runningNow = Math.max(0, Math.min(running, plan.miniBatches - done));
  return {
    miniBatchesTotal: plan.miniBatches,
    miniBatchesSucceeded: totals.miniBatchesSucceeded,
    miniBatchesFailed: totals.miniBatchesFailed,
    // running: being scored (or retried) now; pending: not started yet
    miniBatchesRunning: runningNow,
    miniBatchesPending: Math.max(0, plan.miniBatches - done - runningNow),
    itemsTotal: plan.totalFiles,
    itemsSucceeded: totals.itemsSucceeded,
    itemsFailed: totals.itemsFailed,
  };
}
