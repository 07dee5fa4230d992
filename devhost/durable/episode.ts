import type { Registration } from '../functionsCore';
import type { Invoker } from '../invoker';
import { tryJsonParse } from '../triggers/triggerMetadata';
import { event, EventType, type HistoryEvent } from './history';

/** Action types of `durable-functions` (actions/ActionType.js). */
const Action = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  WhenAny: 11,
  WhenAll: 12,
} as const;

interface SdkAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  isCanceled?: boolean;
  compoundActions?: SdkAction[];
}

interface SdkRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
}

interface SdkTask {
  id: number | string | false;
  actionObj: SdkAction | string;
  parent?: SdkTask & { retryOptions?: SdkRetryOptions; isWaitingOnTimer?: boolean; attemptNumber?: number };
}

interface SdkState {
  isDone: boolean;
  actions: SdkAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export interface EpisodeRequest {
  reg: Registration;
  instanceId: string;
  executionId: string;
  input: string | null;
  parentInstanceId?: string;
  /** Committed history of this execution. */
  history: HistoryEvent[];
  /** This episode's new events, starting with OrchestratorStarted. */
  newEvents: HistoryEvent[];
  /** Sequence ids that already have a scheduling event. */
  scheduled: Set<number>;
  now: Date;
}

export interface EpisodeOutcome {
  kind: 'running' | 'completed' | 'failed' | 'continuedAsNew';
  /** New TaskScheduled / TimerCreated / SubOrchestrationInstanceCreated events, by sequence id. */
  scheduling: HistoryEvent[];
  /** Timers the orchestrator cancelled: they need not fire. */
  canceledTimers: number[];
  output: string | null;
  customStatus: string | null;
  continueAsNewInput?: string | null;
}

/** Timers beyond this length would make the SDK split them into hidden segments; never do. */
const NEVER_SPLIT_TIMERS = '36500.00:00:00';

/** Strings are JSON-encoded once more by the SDK (Utils.processInput): undo that. */
export function actionInputValue(input: unknown): unknown {
  return typeof input === 'string' ? tryJsonParse(input) : input;
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function flatten(actions: SdkAction[]): SdkAction[] {
  return actions.flatMap((a) => (a.compoundActions ? flatten(a.compoundActions) : [a]));
}

/** The SDK's retry delay: first * coefficient^(failures-1), capped; zero after the final attempt. */
function retryDelayMs(options: SdkRetryOptions, attemptNumber: number): number {
  if (attemptNumber > options.maxNumberOfAttempts) return 0;
  const failures = attemptNumber - 1;
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, failures - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap && cap > 0 ? Math.min(delay, cap) : delay;
}

function schedulingEventFor(action: SdkAction, id: number, executionId: string, now: Date): HistoryEvent {
  switch (action.actionType) {
    case Action.CallActivity:
    case Action.CallActivityWithRetry:
    case Action.CallHttp:
      return event(
        EventType.TaskScheduled,
        {
          EventId: id,
          Name: action.actionType === Action.CallHttp ? 'BuiltIn::HttpActivity' : action.functionName,
          Input: json(action.input),
        },
        now,
      );
    case Action.CallSubOrchestrator:
    case Action.CallSubOrchestratorWithRetry:
      return event(
        EventType.SubOrchestrationInstanceCreated,
        { EventId: id, Name: action.functionName, InstanceId: action.instanceId || `${executionId}:${id}`, Input: json(action.input) },
        now,
      );
    case Action.CreateTimer:
      return event(EventType.TimerCreated, { EventId: id, FireAt: new Date(action.fireAt!).toISOString() }, now);
    default:
      throw new Error(`The local host does not support durable action type ${action.actionType} (entities are out of scope).`);
  }
}

/**
 * Runs one orchestrator episode through the real `durable-functions` replay engine and turns
 * what it decided into history events. Sequence ids come from the SDK's own open-task table, so
 * hidden ids (retry timers, next attempts) match what the SDK expects on the next replay.
 */
export async function runEpisode(invoker: Invoker, req: EpisodeRequest): Promise<EpisodeOutcome> {
  const history = [...req.history.map((e) => ({ ...e, IsPlayed: true })), ...req.newEvents.map((e) => ({ ...e }))];
  const trigger = {
    history,
    input: req.input === null ? undefined : JSON.parse(req.input),
    instanceId: req.instanceId,
    isReplaying: false,
    parentInstanceId: req.parentInstanceId ?? null,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: NEVER_SPLIT_TIMERS,
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  let state: SdkState | undefined;
  let failure: string | undefined;
  let context: Record<string, unknown> | undefined;
  try {
    const result = await invoker.invoke(req.reg, trigger, { quiet: true, reason: 'OrchestratorEpisode' });
    context = result.context;
    state = result.result as SdkState;
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    const label = message.indexOf('$OutOfProcData$:');
    if (label >= 0) {
      state = JSON.parse(message.slice(label + '$OutOfProcData$:'.length)) as SdkState;
      failure = state.error ?? message.slice(0, label).trim();
    } else {
      failure = message;
    }
  }
  const customStatus = state?.customStatus === undefined ? null : JSON.stringify(state.customStatus);
  if (failure !== undefined || !state) {
    return {
      kind: 'failed',
      scheduling: [],
      canceledTimers: [],
      output: JSON.stringify(`Orchestrator function '${req.reg.name}' failed: ${failure ?? 'no result'}`),
      customStatus,
    };
  }

  const executor = (context?.df as { taskOrchestratorExecutor?: { openTasks: Record<string, SdkTask> } } | undefined)
    ?.taskOrchestratorExecutor;
  const openTasks = executor?.openTasks ?? {};
  const scheduling: HistoryEvent[] = [];
  const canceledTimers: number[] = [];
  const ids = Object.keys(openTasks)
    .map(Number)
    .filter((id) => Number.isInteger(id))
    .sort((a, b) => a - b);
  for (const id of ids) {
    const task = openTasks[id];
    const action = task.actionObj;
    if (typeof action === 'object' && action.actionType === Action.CreateTimer && action.isCanceled) canceledTimers.push(id);
    if (req.scheduled.has(id)) continue;
    if (typeof action === 'object') {
      scheduling.push(schedulingEventFor(action, id, req.executionId, req.now));
      continue;
    }
    // A NoOp task id belongs to a retryable task: its retry timer, or its next attempt.
    const retryable = task.parent;
    if (!retryable?.retryOptions) throw new Error(`Open task ${id} has no action and no retry parent: unsupported SDK state.`);
    if (retryable.isWaitingOnTimer) {
      const fireAt = new Date(req.now.getTime() + retryDelayMs(retryable.retryOptions, retryable.attemptNumber ?? 1));
      scheduling.push(event(EventType.TimerCreated, { EventId: id, FireAt: fireAt.toISOString() }, req.now));
    } else {
      scheduling.push(schedulingEventFor(retryable.actionObj as SdkAction, id, req.executionId, req.now));
    }
  }

  if (state.isDone) {
    const continueAsNew = flatten(state.actions.flat()).find((a) => a.actionType === Action.ContinueAsNew);
    if (continueAsNew) {
      return {
        kind: 'continuedAsNew',
        scheduling: [],
        canceledTimers,
        output: null,
        customStatus,
        continueAsNewInput: json(actionInputValue(continueAsNew.input)),
      };
    }
    return { kind: 'completed', scheduling, canceledTimers, output: json(state.output) ?? 'null', customStatus };
  }
  return { kind: 'running', scheduling, canceledTimers, output: null, customStatus };
}
