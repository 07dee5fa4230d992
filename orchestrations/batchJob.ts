import { messageOf } from '../lib/util/messageOf';
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { ORCHESTRATION, ZERO_TOTALS, type ChunkInput, type ChunkResult, type FinishRequest, type JobRef, type SealPartRequest, type Totals } from '../lib/jobs/contracts';
import { activityTask, awaitTask, callActivity, chunkTask, resultOf } from './activityCalls';

/**
 * One batch job: prepare (list inputs, plan mini-batches), score them chunk by chunk (each chunk
 * a sub-orchestration, so no history grows without bound), then finish: commit the output once
 * on success, or record the failure or cancellation with no partial output.
 */
export const batchJob: OrchestrationHandler = function* (context: OrchestrationContext) {
  const ref = context.df.getInput<JobRef>();
  // These activities are idempotent: a storage hiccup is retried instead of failing the job.
  // The orchestration returns what finish recorded (it may turn Completed into Failed).
  const retry = new df.RetryOptions(1000, 3);
  const finish = (request: Omit<FinishRequest, keyof JobRef>) => callActivity(context, 'finish', { ...ref, ...request }, retry);
  let totals: Totals = ZERO_TOTALS;
  try {
    const prepared = yield* callActivity(context, 'prepare', ref, retry);
    if (!prepared.ok) {
      return yield* finish({ outcome: prepared.canceled ? 'Canceled' : 'Failed', error: prepared.error });
    }
    let { plan } = prepared;
    let planned = prepared.complete;
    let stopped: ChunkResult['stopped'];
    let scorerError: ChunkResult['error'];
    // A chunk's part is sealed (copied onto the output) while the next chunk scores.
    let sealing: Task | undefined;
    for (let from = 0, chunk = 0; from < plan.miniBatches && !stopped; from += plan.chunkSize, chunk++) {
      // Prepare planned only the first chunk's head (scoring starts after a short listing): the
      // chunk plans the rest itself, without waiting for the head's last mini-batches.
      const head = !planned && plan.miniBatches < plan.chunkSize;
      const input: ChunkInput = { ...ref, plan, from, to: Math.min(from + plan.chunkSize, plan.miniBatches), totals, ...(head ? { planRest: true as const } : {}) };
      const scoring = chunkTask(context, input, `${ref.jobId}-chunk-${chunk}`);
      // (A task is scheduled when it is yielded: the seal starts here, with the chunk.)
      let result: ChunkResult;
      if (sealing) {
        const together = [scoring, sealing];
        try {
          yield context.df.Task.all(together);
          result = resultOf(scoring);
        } catch (err) {
          // Task.all fails at its first failure: let the other one end before the job does, since
          // finish deletes the plan and parts it works on.
          for (const task of together) {
            if (task.isCompleted || task.isFaulted) continue;
            try {
              yield task;
            } catch {
              // the first failure is the one to report
            }
          }
          throw err;
        }
      } else {
        result = yield* awaitTask(scoring);
      }
      sealing = undefined;
      totals = result.totals;
      stopped = result.stopped;
      scorerError = result.error;
      if (result.plan) {
        plan = result.plan;
        planned = true;
      }
      if (!stopped && plan.partsFromChunk !== undefined && chunk >= plan.partsFromChunk) {
        const seal: SealPartRequest = { ...ref, chunk, from: input.from, to: input.to };
        sealing = activityTask(context, 'sealPart', seal, retry);
      }
      // A big input's other listing pages are planned after the first chunk: listing them while it
      // runs competes with its first mini-batches for the storage service.
      if (!planned && !stopped) {
        const rest = yield* callActivity(context, 'planRest', { ...ref, plan }, retry);
        planned = true;
        if (!rest.ok) {
          return yield* finish({ plan, totals, outcome: 'Failed', error: rest.error });
        }
        plan = rest.plan;
      }
    }
    // The last part must be on the output blob before finish commits it.
    if (sealing) yield sealing;
    if (stopped === 'ScorerFailed' || stopped === 'PlanRestFailed') {
      return yield* finish({ plan, totals, outcome: 'Failed', error: scorerError });
    }
    if (stopped === 'Canceled') {
      return yield* finish({ plan, totals, outcome: 'Canceled' });
    }
    if (stopped === 'ErrorThresholdExceeded') {
      const message =
        `${totals.itemsFailed} item(s) failed, more than the error threshold of ${plan.errorThreshold}; ` +
        `the job stopped scheduling mini-batches and wrote no output. See GET .../errors for each failure.`;
      return yield* finish({ plan, totals, outcome: 'Failed', error: { code: 'ErrorThresholdExceeded', message } });
    }
    return yield* finish({ plan, totals, outcome: 'Completed' });
  } catch (err) {
    // An activity failed for good (storage, a bug): the job must still end, and say why.
    const message = messageOf(err);
    return yield* finish({ totals, outcome: 'Failed', error: { code: 'SystemError', message } });
  }
};

df.app.orchestration(ORCHESTRATION.job, batchJob);
