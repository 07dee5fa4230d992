import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { ACTIVITY, ORCHESTRATION, ZERO_TOTALS, type ChunkInput, type ChunkResult, type FinishRequest, type JobRef, type PrepareResult, type Totals } from '../lib/jobs/contracts';

/**
 * One batch job: prepare (list inputs, plan mini-batches), score them chunk by chunk (each chunk
 * a sub-orchestration, so no history grows without bound), then finish: commit the output once
 * on success, or record the failure or cancellation with no partial output.
 */
const batchJob: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<JobRef>();
  const finish = (request: Omit<FinishRequest, keyof JobRef>) => context.df.callActivity(ACTIVITY.finish, { ...ref, ...request });
  let totals: Totals = ZERO_TOTALS;
  try {
    const prepared: PrepareResult = yield context.df.callActivity(ACTIVITY.prepare, ref);
    if (!prepared.ok) {
      yield finish({ outcome: prepared.canceled ? 'Canceled' : 'Failed', error: prepared.error });
      return prepared.canceled ? 'Canceled' : 'Failed';
    }
    let { plan } = prepared;
    // A big input: its other listing pages are planned while the first chunk runs.
    let planning: Task | undefined = prepared.complete ? undefined : context.df.callActivity(ACTIVITY.planRest, { ...ref, plan });
    let stopped: ChunkResult['stopped'];
    let scorerError: ChunkResult['error'];
    for (let from = 0, chunk = 0; from < plan.miniBatches && !stopped; from += plan.chunkSize, chunk++) {
      const input: ChunkInput = { ...ref, plan, from, to: Math.min(from + plan.chunkSize, plan.miniBatches), totals };
      const run = context.df.callSubOrchestrator(ORCHESTRATION.chunk, input, `${ref.jobId}-chunk-${chunk}`);
      let result: ChunkResult;
      if (planning) {
        const [chunkResult, rest] = (yield context.df.Task.all([run, planning])) as [ChunkResult, PrepareResult];
        planning = undefined;
        result = chunkResult;
        if (!rest.ok) {
          yield finish({ plan, totals: result.totals, outcome: 'Failed', error: rest.error });
          return 'Failed';
        }
        plan = rest.plan;
      } else {
        result = yield run;
      }
      totals = result.totals;
      stopped = result.stopped;
      scorerError = result.error;
    }
    if (stopped === 'ScorerFailed') {
      yield finish({ plan, totals, outcome: 'Failed', error: scorerError });
      return 'Failed';
    }
    if (stopped === 'Canceled') {
      yield finish({ plan, totals, outcome: 'Canceled' });
      return 'Canceled';
    }
    if (stopped === 'ErrorThresholdExceeded') {
      const message =
        `${totals.itemsFailed} item(s) failed, more than the error threshold of ${plan.errorThreshold}; ` +
        `the job stopped scheduling mini-batches and wrote no output. See GET .../errors for each failure.`;
      yield finish({ plan, totals, outcome: 'Failed', error: { code: 'ErrorThresholdExceeded', message } });
      return 'Failed';
    }
    yield finish({ plan, totals, outcome: 'Completed' });
    return 'Completed';
  } catch (err) {
    // An activity failed for good (storage, a bug): the job must still end, and say why.
    const message = err instanceof Error ? err.message : String(err);
    yield finish({ totals, outcome: 'Failed', error: { code: 'SystemError', message } });
    return 'Failed';
  }
};

df.app.orchestration(ORCHESTRATION.job, batchJob);
