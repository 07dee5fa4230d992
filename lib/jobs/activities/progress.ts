import type { JobPlan, Totals } from '../contracts';
import type { JobProgress } from '../types';

/** The job's progress column from the plan's sizes and the counts so far. */
export function progressOf(plan: Pick<JobPlan, 'miniBatches' | 'totalFiles'>, totals: Totals): JobProgress {
  return {
    miniBatchesTotal: plan.miniBatches,
    miniBatchesSucceeded: totals.miniBatchesSucceeded,
    miniBatchesFailed: totals.miniBatchesFailed,
    miniBatchesPending: Math.max(0, plan.miniBatches - totals.miniBatchesSucceeded - totals.miniBatchesFailed),
    itemsTotal: plan.totalFiles,
    itemsSucceeded: totals.itemsSucceeded,
    itemsFailed: totals.itemsFailed,
  };
}
