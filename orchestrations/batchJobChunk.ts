import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { itemsInMiniBatch } from '../lib/jobs/plan';
import { ORCHESTRATION, type ChunkInput, type ChunkResult, type JobPlan, type MiniBatchOutcome, type MiniBatchRef, type ProgressUpdate } from '../lib/jobs/contracts';
import { activityTask, callActivity, resultOf, type TypedTask } from './activityCalls';

/**
 * Scores mini-batches [from, to) of a job with at most `parallelism` in flight (a sliding
 * window: each completion lets the next one start); with `planRest`, [from, to) is the first
 * chunk's head, and the chunk goes on to its end once planRest planned it. A mini-batch is retried `maxRetries` times;
 * one that still fails counts all its items as failed. Scheduling stops as soon as the failed
 * items exceed the error threshold (Azure ML semantics) or the job is being canceled.
 */
export const batchJobChunk: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ChunkInput>();
  let { plan, to } = input;
  // A first chunk of which prepare planned only the head: the rest is planned once the head is scheduled.
  let planRest = input.planRest === true;
  let planned: JobPlan | undefined;
  const totals = { ...input.totals };
  // What holds a slot of the window: a mini-batch's attempt scoring, or (no task) its retry's delay.
  const inFlight = new Map<Task, { index: number; attempt: number; task?: TypedTask<MiniBatchOutcome> }>();
  // Attempts are numbered here, not by callActivityWithRetry, so each execution knows its attempt
  // and a duplicate delivery of one attempt tells itself from the next attempt (MiniBatchStore).
  const score = (index: number, attempt: number) => {
    const toPart = plan.partsFromChunk !== undefined && Math.floor(index / plan.chunkSize) >= plan.partsFromChunk;
    const ref: MiniBatchRef = { endpointName: input.endpointName, jobId: input.jobId, index, chunkSize: plan.chunkSize, attempt, ...(toPart ? { toPart } : {}) };
    const task = activityTask(context, 'scoreMiniBatch', ref);
    inFlight.set(task, { index, attempt, task });
  };
  const failed = (index: number) => {
    totals.miniBatchesFailed++;
    totals.itemsFailed += itemsInMiniBatch(index, plan.totalFiles, plan.miniBatchSize);
  };
  let next = input.from;
  let stopped: ChunkResult['stopped'];
  let error: ChunkResult['error'];
  // The first mini-batch to finish reports at once (a short job shows progress, not 0 until it
  // ends); later ones at most once per interval. Chunks run one after another: this is per job.
  let lastProgress = -Infinity;

  while (inFlight.size > 0 || (!stopped && (next < to || planRest))) {
    if (planRest && next >= to && !stopped) {
      // The head's mini-batches run on meanwhile (the first results come from them): only the
      // scheduling waits for the plan. Idempotent, so a storage hiccup is retried.
      planRest = false;
      const rest = yield* callActivity(context, 'planRest', { endpointName: input.endpointName, jobId: input.jobId, plan }, new df.RetryOptions(1000, 3));
      if (rest.ok) {
        plan = planned = rest.plan;
        to = Math.min(input.from + plan.chunkSize, plan.miniBatches);
      } else {
        stopped = 'PlanRestFailed';
        error ??= rest.error;
      }
    }
    while (!stopped && next < to && inFlight.size < plan.parallelism) score(next++, 1);
    if (inFlight.size === 0) continue; // planRest was refused, and nothing runs
    // A task that finished while we awaited something else (progress) would never resolve a new
    // Task.any (durable-functions does not look at children that are already done): take it first.
    const finished = [...inFlight.keys()].find((t) => t.isCompleted || t.isFaulted);
    const done: Task = finished ?? (yield context.df.Task.any([...inFlight.keys()]));
    const { index, attempt, task } = inFlight.get(done)!;
    inFlight.delete(done);
    if (!task) {
      // A retry's delay is over: the next attempt, unless the chunk has stopped meanwhile.
      if (stopped) failed(index);
      else score(index, attempt);
      continue;
    }
    if (done.isFaulted && !stopped && attempt <= plan.maxRetries) {
      const at = new Date(context.df.currentUtcDateTime.getTime() + plan.retryDelayMs);
      inFlight.set(context.df.createTimer(at), { index, attempt: attempt + 1 });
      continue;
    }
    if (done.isFaulted) failed(index);
    else {
      const outcome = resultOf(task);
      if (outcome.canceled) stopped = 'Canceled';
      else if (outcome.fatal) {
        stopped = 'ScorerFailed';
        error ??= outcome.fatal;
        totals.miniBatchesFailed++;
        totals.itemsFailed += outcome.failedItems;
      } else {
        totals.miniBatchesSucceeded++;
        totals.itemsSucceeded += outcome.succeededItems;
        totals.itemsFailed += outcome.failedItems;
      }
    }
    if (!stopped && plan.errorThreshold >= 0 && totals.itemsFailed > plan.errorThreshold) stopped = 'ErrorThresholdExceeded';

    // Live progress, at most once per interval (the orchestration clock is replay-safe), while work
    // remains. (Testing only inFlight, emptied just above, never reported one-at-a-time jobs: the default.)
    const now = context.df.currentUtcDateTime.getTime();
    // Running: those in flight plus those the loop schedules next (a window of one has none in
    // flight here, yet the next one starts at once).
    const running = Math.min(plan.parallelism, inFlight.size + (stopped ? 0 : to - next));
    if (now - lastProgress >= plan.progressIntervalMs && running > 0) {
      lastProgress = now;
      const update: ProgressUpdate = { endpointName: input.endpointName, jobId: input.jobId, totals: { ...totals }, running };
      try {
        yield* callActivity(context, 'reportProgress', update);
      } catch {
        // Progress is advisory: a failed report must not fail the job; the next one catches up.
      }
    }
  }
  const result: ChunkResult = { totals, stopped, ...(error ? { error } : {}), ...(planned ? { plan: planned } : {}) };
  return result;
};

df.app.orchestration(ORCHESTRATION.chunk, batchJobChunk);
