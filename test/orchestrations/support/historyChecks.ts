import { expect } from 'vitest';
import { EventType, type HistoryEvent } from '../../../devhost/durable/history';
import type { ScriptedHost, ScriptedRun } from './scriptedHost';

/** The most tasks named `name` that were scheduled and not yet completed at any point of the history. */
export function mostInFlight(history: HistoryEvent[], name: string): number {
  const open = new Set<number>();
  let most = 0;
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled && e.Name === name) open.add(e.EventId);
    if ((e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) && e.TaskScheduledId !== undefined) open.delete(e.TaskScheduledId);
    most = Math.max(most, open.size);
  }
  return most;
}

const decision = (e: HistoryEvent) => ({ type: e.EventType, id: e.EventId, name: e.Name, input: e.Input, instance: e.InstanceId });

/**
 * Replays every episode of a run again from its history (a fresh orchestrator each time, as after
 * a restart) and expects the very same decisions: same tasks, same ids, same inputs, same end.
 */
export async function expectDeterministicReplay(host: ScriptedHost, name: string, run: ScriptedRun, instanceId = 'job-1'): Promise<void> {
  const input = run.history.find((e) => e.EventType === EventType.ExecutionStarted)?.Input;
  for (const episode of run.episodes) {
    const again = await host.episode(name, instanceId, input == null ? undefined : JSON.parse(input), episode);
    expect(again.scheduling.map(decision)).toEqual(episode.scheduling.map(decision));
    expect({ kind: again.kind, output: again.output }).toEqual({ kind: episode.kind, output: episode.output });
  }
}
