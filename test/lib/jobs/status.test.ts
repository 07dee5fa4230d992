import { describe, expect, it } from 'vitest';
import { isTerminal, mayFollow, refusal, STEP_FROM, TERMINAL_JOB_STATUSES, type JobStep } from '../../../lib/jobs/status';
import type { JobStatus } from '../../../lib/jobs/types';

const ALL: JobStatus[] = ['NotStarted', 'Preparing', 'Running', 'Finalizing', 'CancelRequested', 'Completed', 'Failed', 'Canceled'];
const ACTIVE = ALL.filter((s) => !isTerminal(s));

describe('job status machine', () => {
  it('knows the terminal statuses', () => {
    expect(TERMINAL_JOB_STATUSES).toEqual(['Completed', 'Failed', 'Canceled']);
    expect(ACTIVE).toEqual(['NotStarted', 'Preparing', 'Running', 'Finalizing', 'CancelRequested']);
  });

  it('moves a job forward along its life, and ends it from any active status', () => {
    for (const [from, to] of [['NotStarted', 'Preparing'], ['Preparing', 'Running'], ['Running', 'Finalizing'], ['Finalizing', 'Completed']] as const) {
      expect(mayFollow(from, to)).toBe(true);
    }
    for (const from of ACTIVE) for (const to of TERMINAL_JOB_STATUSES) expect(mayFollow(from, to)).toBe(true);
  });

  it('never changes a terminal job', () => {
    for (const from of TERMINAL_JOB_STATUSES) {
      for (const to of ALL) expect(mayFollow(from, to)).toBe(false);
      expect(refusal(from, undefined)).toBe('Terminal');
      expect(refusal(from, 'Canceled', 'cancel')).toBe('Terminal');
    }
  });

  it('does not skip or go back, except prepare re-run over Running', () => {
    expect(mayFollow('NotStarted', 'Running')).toBe(false);
    expect(mayFollow('NotStarted', 'Finalizing')).toBe(false);
    expect(mayFollow('Running', 'NotStarted')).toBe(false);
    expect(mayFollow('Finalizing', 'Running')).toBe(false);
    expect(mayFollow('Running', 'Preparing')).toBe(true);
  });

  it('lets only an end replace a cancel request', () => {
    for (const to of ALL) expect(mayFollow('CancelRequested', to)).toBe(to === 'CancelRequested' || isTerminal(to));
    expect(refusal('CancelRequested', 'Running')).toBe('CancelRequested');
    expect(refusal('CancelRequested', 'Preparing', 'prepare')).toBe('CancelRequested');
    expect(refusal('CancelRequested', undefined, 'progress')).toBe('CancelRequested');
    expect(refusal('CancelRequested', 'Canceled')).toBeUndefined();
    // Counts the finish writes with the end, or fields without a status, still apply.
    expect(refusal('CancelRequested', undefined)).toBeUndefined();
  });

  it('cancels only a job that has not started committing its output', () => {
    const cancelable = ALL.filter((s) => refusal(s, 'CancelRequested', 'cancel') === undefined);
    expect(cancelable).toEqual(['NotStarted', 'Preparing', 'Running', 'CancelRequested']);
    expect(refusal('Finalizing', 'CancelRequested', 'cancel')).toBe('StatusNotAllowed');
  });

  it('applies each step only from the statuses it may start from', () => {
    const from = (step: JobStep, to?: JobStatus) => ALL.filter((s) => refusal(s, to, step) === undefined);
    expect(from('prepare', 'Preparing')).toEqual(['NotStarted', 'Preparing', 'Running']);
    expect(from('run', 'Running')).toEqual(['Preparing']);
    expect(from('progress')).toEqual(['Running']);
    expect(from('finalize', 'Finalizing')).toEqual(['Running', 'Finalizing']);
    expect(from('cancel', 'CancelRequested')).toEqual([...STEP_FROM.cancel]);
  });
});
