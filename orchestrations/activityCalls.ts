import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import type { JobActivities } from '../lib/jobs/activities';
import { ACTIVITY, ORCHESTRATION, type ChunkInput, type ChunkResult } from '../lib/jobs/contracts';

// Typed calls from the job orchestrators: an activity's input and result types come from the
// activity's own signature (lib/jobs/activities), so a change there fails the build here.

export type ActivityName = keyof JobActivities;
export type ActivityInput<K extends ActivityName> = Parameters<JobActivities[K]>[0];
export type ActivityOutput<K extends ActivityName> = Awaited<ReturnType<JobActivities[K]>>;

/** A durable task whose result, once it has completed, has a known type. */
export interface TypedTask<T> extends Task {
  result?: T;
}

/** Schedules activity `name` (with retries when given) when the task is yielded. */
export function activityTask<K extends ActivityName>(context: OrchestrationContext, name: K, input: ActivityInput<K>, retry?: RetryOptions): TypedTask<ActivityOutput<K>> {
  // The one place the SDK's untyped result meets the activity's type.
  const task = retry ? context.df.callActivityWithRetry(ACTIVITY[name], retry, input) : context.df.callActivity(ACTIVITY[name], input);
  return task as TypedTask<ActivityOutput<K>>;
}

/** Runs activity `name` and gives its typed result: `const r = yield* callActivity(context, ...)`. */
export function* callActivity<K extends ActivityName>(context: OrchestrationContext, name: K, input: ActivityInput<K>, retry?: RetryOptions): Generator<Task, ActivityOutput<K>, ActivityOutput<K>> {
  return yield activityTask(context, name, input, retry);
}

/** Schedules the sub-orchestration that scores one chunk of a job. */
export function chunkTask(context: OrchestrationContext, input: ChunkInput, instanceId: string): TypedTask<ChunkResult> {
  return context.df.callSubOrchestrator(ORCHESTRATION.chunk, input, instanceId) as TypedTask<ChunkResult>;
}

/** Waits for a task scheduled earlier and gives its typed result: `const r = yield* awaitTask(task)`. */
export function* awaitTask<T>(task: TypedTask<T>): Generator<Task, T, T> {
  return yield task;
}

/** The result of a task that has completed (yielded alone or within Task.all). */
export function resultOf<T>(task: TypedTask<T>): T {
  if (!task.isCompleted || task.isFaulted) throw new Error('the task has not completed');
  return task.result as T;
}
