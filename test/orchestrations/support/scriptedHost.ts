import * as functions from '@azure/functions';
import type { OrchestrationHandler } from 'durable-functions';
import { createRequire } from 'node:module';
import type { FunctionsLibrary } from '../../../devhost/appLoader';
import { runEpisode } from '../../../devhost/durable/episode';
import { event, EventType, type HistoryEvent } from '../../../devhost/durable/history';
import { FunctionsCore, type Registration } from '../../../devhost/functionsCore';
import { Invoker } from '../../../devhost/invoker';
import { createLogger } from '../../../devhost/log';

// The SDK's own replay engine: what `df.app.orchestration` registers with the worker. It is not
// exported by the package, so it is loaded by path (its tests do the same).
const { Orchestrator } = createRequire(__filename)('durable-functions/lib/src/orchestrations/Orchestrator') as {
  Orchestrator: new (fn: OrchestrationHandler) => { listen(): (trigger: unknown, context: unknown) => Promise<unknown> };
};

/** A stub activity: its return value completes the task, a throw fails it. `attempt` counts from 1. */
export type StubActivity = (input: any, attempt: number) => unknown;

export interface Call {
  name: string;
  input: any;
  attempt: number;
}

export interface ScriptedRun {
  status: 'completed' | 'failed';
  output: unknown;
  /** The whole history as it was committed, episode after episode. */
  history: HistoryEvent[];
  /** Activities and sub-orchestrations in the order they ran (sub-orchestrations' own calls included). */
  calls: Call[];
  /** Each episode as it ran, so a test can replay it. */
  episodes: Episode[];
}

export interface Episode {
  /** Committed history before the episode, and the events it was handed. */
  history: HistoryEvent[];
  newEvents: HistoryEvent[];
  scheduledBefore: number[];
  now: Date;
  /** What the orchestrator decided: new scheduling events, and its end if it ended. */
  scheduling: HistoryEvent[];
  kind: string;
  output: string | null;
}

export interface ScriptedHostOptions {
  activities: Record<string, StubActivity>;
  orchestrators: Record<string, OrchestrationHandler>;
  /** How far the orchestration clock moves per episode (drives currentUtcDateTime). */
  stepMs?: number;
  /** Completions handed to each episode (the real host batches up to 32). */
  perEpisode?: number;
  /** Completions for which this is true are handed over before the others (a slow sub-orchestration, say). */
  early?: (e: HistoryEvent) => boolean;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = (text: string | null | undefined): unknown => (text == null ? undefined : JSON.parse(text));

/**
 * A host in a test: runs an orchestrator through the real durable-functions replay engine, one
 * episode at a time, with the history built here the way the Durable extension builds it
 * (devhost's episode step turns the SDK's decisions into scheduling events with the SDK's own
 * sequence ids). Activities are stubs; sub-orchestrations run the same way, inline.
 */
export class ScriptedHost {
  readonly calls: Call[] = [];
  private readonly invoker = new Invoker(new FunctionsCore(), functions as unknown as FunctionsLibrary, createLogger('error'));
  private readonly attempts = new Map<string, number>();
  private clock = Date.parse('2026-01-01T00:00:00Z');

  constructor(private readonly options: ScriptedHostOptions) {}

  private registration(name: string): Registration {
    const handler = this.options.orchestrators[name];
    if (!handler) throw new Error(`no orchestrator '${name}' in this test`);
    const listener = new Orchestrator(handler).listen();
    return { name, bindings: {}, triggerName: 'context', trigger: { type: 'orchestrationTrigger', direction: 'in' }, handler: (trigger, context) => listener(trigger, context) };
  }

  private now(): Date {
    this.clock += this.options.stepMs ?? 1000;
    return new Date(this.clock);
  }

  async run(name: string, input: unknown, instanceId = 'job-1'): Promise<ScriptedRun> {
    const history: HistoryEvent[] = [];
    const scheduled = new Set<number>();
    const inbox: HistoryEvent[] = [];
    let at = this.now();
    let newEvents = [event(EventType.OrchestratorStarted, {}, at), event(EventType.ExecutionStarted, { Name: name, Input: json(input) }, at)];
    const episodes: Episode[] = [];
    for (;;) {
      const before = { history: [...history], newEvents, scheduledBefore: [...scheduled], now: at };
      const outcome = await this.episode(name, instanceId, input, before);
      episodes.push({ ...before, scheduling: outcome.scheduling, kind: outcome.kind, output: outcome.output });
      history.push(...newEvents, ...outcome.scheduling);
      for (const e of outcome.scheduling) scheduled.add(e.EventId);
      if (outcome.kind === 'completed' || outcome.kind === 'failed') {
        return { status: outcome.kind, output: parse(outcome.output), history, calls: this.calls, episodes };
      }
      for (const e of outcome.scheduling) inbox.push(await this.execute(e));
      if (inbox.length === 0) throw new Error(`${name} waits for nothing this host can deliver`);
      at = this.now();
      const early = this.options.early;
      if (early) inbox.sort((a, b) => Number(early(b)) - Number(early(a)));
      newEvents = [event(EventType.OrchestratorStarted, {}, at), ...inbox.splice(0, this.options.perEpisode ?? 1)];
    }
  }

  /** One episode of orchestrator `name` (a fresh replay of `history`, then `newEvents`). */
  episode(name: string, instanceId: string, input: unknown, step: Pick<Episode, 'history' | 'newEvents' | 'scheduledBefore' | 'now'>) {
    return runEpisode(this.invoker, {
      reg: this.registration(name),
      instanceId,
      executionId: instanceId,
      input: json(input),
      history: step.history,
      newEvents: step.newEvents,
      scheduled: new Set(step.scheduledBefore),
      now: step.now,
    });
  }

  /** Runs what a scheduling event asks for and returns the event that completes it. */
  private async execute(e: HistoryEvent): Promise<HistoryEvent> {
    if (e.EventType === EventType.TimerCreated) return event(EventType.TimerFired, { TimerId: e.EventId, FireAt: e.FireAt });
    const name = e.Name!;
    const input = parse(e.Input);
    const key = `${name}/${e.Input}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    this.calls.push({ name, input, attempt });
    if (e.EventType === EventType.SubOrchestrationInstanceCreated) {
      const child = await this.run(name, input, e.InstanceId);
      return child.status === 'completed'
        ? event(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: e.EventId, Result: json(child.output) })
        : event(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: e.EventId, Reason: String(child.output), Details: '' });
    }
    const activity = this.options.activities[name];
    if (!activity) throw new Error(`no stub for activity '${name}'`);
    try {
      return event(EventType.TaskCompleted, { TaskScheduledId: e.EventId, Result: json(await activity(input, attempt)) ?? null });
    } catch (err) {
      return event(EventType.TaskFailed, { TaskScheduledId: e.EventId, Reason: `Activity function '${name}' failed: ${(err as Error).message}`, Details: '' });
    }
  }
}
