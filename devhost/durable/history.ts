/**
 * History events as the Durable extension hands them to `durable-functions` (PascalCase,
 * numeric EventType). Scheduling events carry the task's sequence id as EventId; all others -1.
 */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string | null;
  Result?: string | null;
  Reason?: string;
  Details?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
  Version?: string;
  /** Id of the inbox message this event came from (external events, terminate, ...): dedupes after a crash. */
  MessageId?: string;
  /** A retry timer or next attempt of a retryable task: a hidden sequence id with no action of its own. */
  RetryStep?: boolean;
  [extra: string]: unknown;
}

export function event(type: number, fields: Partial<HistoryEvent> = {}, at = new Date()): HistoryEvent {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: at.toISOString(), ...fields };
}

/** Event types that finish the task whose id they name (activities, sub-orchestrations, timers). */
export function completedTaskId(e: HistoryEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId;
    case EventType.TimerFired:
      return e.TimerId;
    default:
      return undefined;
  }
}

export function isSchedulingEvent(e: HistoryEvent): boolean {
  return (
    e.EventType === EventType.TaskScheduled ||
    e.EventType === EventType.TimerCreated ||
    e.EventType === EventType.SubOrchestrationInstanceCreated
  );
}

/** The history as the public status API shows it: event type names instead of numbers. */
export function describeEvent(e: HistoryEvent, withOutput: boolean): Record<string, unknown> {
  const { EventType: type, IsPlayed: _played, MessageId: _message, RetryStep: _retry, ...rest } = e;
  const shown: Record<string, unknown> = { EventType: EventTypeName[type] ?? String(type), ...rest };
  if (!withOutput) delete shown.Result;
  return shown;
}
