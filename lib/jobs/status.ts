import type { JobStatus } from './types';

/**
 * The job status machine: which status may follow which, and from which statuses each step of a
 * job may write it. JobStore.update checks every write against it, so no caller keeps its own list.
 *
 *   NotStarted -> Preparing -> Running -> Finalizing -> Completed
 *        \____________\___________\            \_____> Failed | Canceled (from any non-terminal)
 *                      CancelRequested -> Canceled (or Failed / Completed if it was too late)
 */

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['Completed', 'Failed', 'Canceled'];

export const isTerminal = (status: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(status);

/** The statuses that may follow each status (staying is listed where a re-run writes it again). */
const NEXT: Record<JobStatus, readonly JobStatus[]> = {
  NotStarted: ['Preparing', 'CancelRequested', ...TERMINAL_JOB_STATUSES],
  Preparing: ['Preparing', 'Running', 'CancelRequested', ...TERMINAL_JOB_STATUSES],
  // Preparing again: prepare re-run after a crash finds the status its first run left.
  Running: ['Running', 'Preparing', 'Finalizing', 'CancelRequested', ...TERMINAL_JOB_STATUSES],
  // The output is being committed: too late to cancel.
  Finalizing: ['Finalizing', ...TERMINAL_JOB_STATUSES],
  // A cancel the user asked for is never undone by a late "Running": only an end replaces it.
  CancelRequested: ['CancelRequested', ...TERMINAL_JOB_STATUSES],
  Completed: [],
  Failed: [],
  Canceled: [],
};

export const mayFollow = (current: JobStatus, next: JobStatus): boolean => NEXT[current].includes(next);

/** The steps that write a job, and the statuses each may start from. */
export const STEP_FROM = {
  /** prepare starts listing (a re-run finds Preparing or Running). */
  prepare: ['NotStarted', 'Preparing', 'Running'],
  /** prepare planned the first chunk: scoring starts. */
  run: ['Preparing'],
  /** Counts while scoring; never over finish's final counts, nor while a cancel is pending. */
  progress: ['Running'],
  /** finish commits the output. */
  finalize: ['Running', 'Finalizing'],
  /** The cancel route (again on a job already being canceled is fine). */
  cancel: ['NotStarted', 'Preparing', 'Running', 'CancelRequested'],
} as const satisfies Record<string, readonly JobStatus[]>;

export type JobStep = keyof typeof STEP_FROM;

/**
 * Why a write may not be applied to a job now:
 * - Terminal: the job is Completed, Failed or Canceled; it never changes again.
 * - CancelRequested: a cancel was requested; only an end may replace it.
 * - StatusNotAllowed: `next` may not follow the current status, or `step` may not start from it.
 */
export type Refusal = 'Terminal' | 'StatusNotAllowed' | 'CancelRequested';

/** Why a write moving the job to `next` (undefined: status unchanged) in `step` is refused, or undefined. */
export function refusal(current: JobStatus, next: JobStatus | undefined, step?: JobStep): Refusal | undefined {
  if (isTerminal(current)) return 'Terminal';
  const fromAllowed = step === undefined || (STEP_FROM[step] as readonly JobStatus[]).includes(current);
  if (fromAllowed && (next === undefined || mayFollow(current, next))) return undefined;
  return current === 'CancelRequested' ? 'CancelRequested' : 'StatusNotAllowed';
}
