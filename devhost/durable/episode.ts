import type { Registration } from '../functionsCore';
import type { Invoker } from '../invoker';
import { tryJsonParse } from '../triggers/triggerMetadata';
import { event, EventType, isSchedulingEvent, type HistoryEvent } from './history';

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

const CHANGED = 'Was a change made to the orchestrator code after this instance had already started running?';

/** The Durable Task Framework's class names for the actions, as its messages show them. */
function actionClass(action: SdkAction): string {
  switch (action.actionType) {
    case Action.CreateTimer:
      return 'CreateTimerOrchestratorAction';
    case Action.CallSubOrchestrator:
    case Action.CallSubOrchestratorWithRetry:
      return 'CreateSubOrchestrationAction';
    default:
      return 'ScheduleTaskOrchestratorAction';
  }
}

function actionName(action: SdkAction): string {
  return action.actionType === Action.CallHttp ? 'BuiltIn::HttpActivity' : action.functionName ?? '';
}

/**
 * The replay check of DTFx's TaskOrchestrationContext (HandleTaskScheduledEvent and friends):
 * every scheduling event of the committed history must meet, at its sequence id, an action of
 * the same kind and name in the replayed code; returns DTFx's message for the first that does
 * not. Actions are cumulative and in sequence order; retry steps (hidden ids) have no action.
 */
export function replayMismatch(history: HistoryEvent[], actions: SdkAction[][]): string | undefined {
  const seen = new Set<SdkAction>();
  const replayed = flatten(actions.flat()).filter((a) => {
    if (a.actionType === Action.WaitForExternalEvent || a.actionType === Action.ContinueAsNew || seen.has(a)) return false;
    seen.add(a); // a task yielded again inside Task.any/all appears twice but has one id
    return true;
  });
  const committed = history.filter((e) => isSchedulingEvent(e) && !e.RetryStep).sort((a, b) => a.EventId - b.EventId);
  for (let i = 0; i < committed.length; i++) {
    const e = committed[i];
    const action = replayed[i] as SdkAction | undefined;
    const id = e.EventId;
    const kind = action ? actionClass(action) : undefined;
    if (e.EventType === EventType.TaskScheduled) {
      if (!action) {
        return `A previous execution of this orchestration scheduled an activity task with sequence ID ${id} and name '${e.Name}' (version '${e.Version ?? ''}'), but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`;
      }
      if (kind !== 'ScheduleTaskOrchestratorAction') {
        return `A previous execution of this orchestration scheduled an activity task with sequence number ${id} named '${e.Name}', but the current orchestration replay instead produced a ${kind} action with this sequence number. ${CHANGED}`;
      }
      if (actionName(action).toLowerCase() !== (e.Name ?? '').toLowerCase()) {
        return `A previous execution of this orchestration scheduled an activity task with sequence number ${id} named '${e.Name}', but the current orchestration replay instead scheduled an activity task named '${actionName(action)}' with this sequence number.  ${CHANGED}`;
      }
    } else if (e.EventType === EventType.TimerCreated) {
      if (!action) {
        return `A previous execution of this orchestration scheduled a timer task with sequence number ${id} but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`;
      }
      if (kind !== 'CreateTimerOrchestratorAction') {
        return `A previous execution of this orchestration scheduled a timer task with sequence number ${id} named but the current orchestration replay instead produced a ${kind} action with this sequence number. ${CHANGED}`;
      }
    } else {
      const what = `a sub-orchestration task with sequence ID ${id} and name '${e.Name}' (version '${e.Version ?? ''}', instance ID '${e.InstanceId}')`;
      if (!action) return `A previous execution of this orchestration scheduled ${what}, but the current replay execution hasn't (yet?) scheduled this task. ${CHANGED}`;
      if (kind !== 'CreateSubOrchestrationAction') {
        return `A previous execution of this orchestration scheduled ${what}, but the current orchestration replay instead produced a ${kind} action at this sequence number. ${CHANGED}`;
      }
      if (actionName(action).toLowerCase() !== (e.Name ?? '').toLowerCase()) {
        return `A previous execution of this orchestration scheduled ${what}, but the current orchestration replay instead scheduled a sub-orchestration task with name ${actionName(action)} at this sequence number. ${CHANGED}`;
      }
    }
  }
  return undefined;
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

  const mismatch = replayMismatch(req.history, state.actions);
  if (mismatch) {
    return { kind: 'failed', scheduling: [], canceledTimers: [], output: JSON.stringify(`Non-Deterministic workflow detected: ${mismatch}`), customStatus };
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
      scheduling.push(event(EventType.TimerCreated, { EventId: id, FireAt: fireAt.toISOString(), RetryStep: true }, req.now));
    } else {
      scheduling.push({ ...schedulingEventFor(retryable.actionObj as SdkAction, id, req.executionId, req.now), RetryStep: true });
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
