import type { JobActivityDeps } from './deps';
import { finishActivity } from './finish';
import { planRestActivity } from './planRest';
import { prepareActivity } from './prepare';
import { reportProgressActivity } from './reportProgress';
import { scoreMiniBatchActivity } from './scoreMiniBatch';
import { sealPartActivity } from './sealPart';

export type { JobActivityDeps } from './deps';

/**
 * The batch job's activities, one per file, built from the dependencies they share (temporal-style
 * factory), so tests and the Functions entry points wire the same code. The keys are the names in
 * contracts.ts ACTIVITY; the orchestrators' calls take their input and result types from here.
 */
export function createJobActivities(deps: JobActivityDeps) {
  return {
    prepare: prepareActivity(deps),
    planRest: planRestActivity(deps),
    scoreMiniBatch: scoreMiniBatchActivity(deps),
    reportProgress: reportProgressActivity(deps),
    sealPart: sealPartActivity(deps),
    finish: finishActivity(deps),
  };
}

export type JobActivities = ReturnType<typeof createJobActivities>;
