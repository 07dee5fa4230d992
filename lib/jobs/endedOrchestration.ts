import type { FinishRequest, JobRef } from './contracts';
import { isTerminal } from './status';
import type { JobRecord } from './types';

/** What the durable client says of a job's orchestration. */
export interface OrchestrationState {
  runtimeStatus?: string;
  output?: unknown;
  lastUpdatedTime?: Date | string;
}

/** What a read of a job that is not final should do about its orchestration. */
export type Settlement =
  | { action: 'none' }
  /** The invoke recorded the job but died before starting its orchestration. */
  | { action: 'start' }
  /** The orchestration ended without a final status: finish the job the way it would have. */
  | { action: 'finish'; request: Omit<FinishRequest, keyof JobRef> };

/** A NotStarted job whose orchestration does not exist this long after the invoke is started. */
export const START_AFTER_MS = 60_000;

/**
 * Decides whether a read of a job must end or start it, so a poller never waits for an
 * orchestration that is gone: one Terminated by an operator or Failed even in its last-resort
 * finish (`state` with that runtimeStatus), or one that was never started (`state` 'missing':
 * started, or ended Canceled when a cancel came first).
 * An ended orchestration counts only `graceMs` after its last update: activities it started may
 * still be running (terminate does not stop them), and a finish among them must win.
 */
export function settlementFor(job: JobRecord, state: OrchestrationState | 'missing', now: Date, graceMs: number): Settlement {
  if (isTerminal(job.status)) return { action: 'none' };
  if (state === 'missing') {
    const age = now.getTime() - Date.parse(job.creationTime);
    if (age < START_AFTER_MS) return { action: 'none' };
    if (job.status === 'NotStarted') return { action: 'start' };
    // Canceled while it waited for an orchestration that was never started: nothing else ends it
    // (and it would hold its output path for ever).
    if (job.status === 'CancelRequested') return { action: 'finish', request: { outcome: 'Canceled' } };
    return { action: 'none' };
  }
  if (state.runtimeStatus !== 'Failed' && state.runtimeStatus !== 'Terminated') return { action: 'none' };
  const updated = state.lastUpdatedTime ? new Date(state.lastUpdatedTime).getTime() : 0;
  if (now.getTime() - updated < graceMs) return { action: 'none' };
  if (job.status === 'CancelRequested') return { action: 'finish', request: { outcome: 'Canceled' } };
  const detail = typeof state.output === 'string' && state.output ? `: ${state.output.slice(0, 500)}` : '';
  const message = `The job's orchestration ended (${state.runtimeStatus}) without recording a result${detail}.`;
  return { action: 'finish', request: { outcome: 'Failed', error: { code: 'SystemError', message } } };
}
