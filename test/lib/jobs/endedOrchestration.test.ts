import { describe, expect, it } from 'vitest';
import { settlementFor, START_AFTER_MS } from '../../../lib/jobs/endedOrchestration';
import { newJobId } from '../../../lib/jobs/jobId';
import type { JobStatus } from '../../../lib/jobs/types';
import { jobRecord } from './fixtures';

const now = new Date('2026-11-21T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const job = (status: JobStatus, createdMsAgo = 5 * 60_000) => jobRecord('ep', newJobId(), status, ago(createdMsAgo).toISOString());
const GRACE = 60_000;

describe('settlementFor', () => {
  it('leaves final jobs and live orchestrations alone', () => {
    expect(settlementFor(job('Completed'), { runtimeStatus: 'Terminated', lastUpdatedTime: ago(GRACE * 2) }, now, GRACE)).toEqual({ action: 'none' });
    for (const runtimeStatus of ['Running', 'Pending', 'Suspended', 'ContinuedAsNew']) {
      expect(settlementFor(job('Running'), { runtimeStatus, lastUpdatedTime: ago(GRACE * 2) }, now, GRACE)).toEqual({ action: 'none' });
    }
  });

  it('finishes a job whose orchestration ended, once the grace after its last update has passed', () => {
    const state = { runtimeStatus: 'Terminated', output: 'operator', lastUpdatedTime: ago(GRACE - 1) };
    expect(settlementFor(job('Running'), state, now, GRACE)).toEqual({ action: 'none' });
    const later = settlementFor(job('Finalizing'), { ...state, lastUpdatedTime: ago(GRACE) }, now, GRACE);
    expect(later).toEqual({
      action: 'finish',
      request: { outcome: 'Failed', error: { code: 'SystemError', message: "The job's orchestration ended (Terminated) without recording a result: operator." } },
    });
    expect(settlementFor(job('Running'), { runtimeStatus: 'Failed', lastUpdatedTime: ago(GRACE) }, now, GRACE)).toMatchObject({ action: 'finish', request: { outcome: 'Failed' } });
  });

  it('a job being canceled ends Canceled', () => {
    expect(settlementFor(job('CancelRequested'), { runtimeStatus: 'Terminated', lastUpdatedTime: ago(GRACE) }, now, GRACE)).toEqual({ action: 'finish', request: { outcome: 'Canceled' } });
  });

  it('starts a NotStarted job whose orchestration is missing a minute after the invoke, not before', () => {
    expect(settlementFor(job('NotStarted', START_AFTER_MS - 1), 'missing', now, GRACE)).toEqual({ action: 'none' });
    expect(settlementFor(job('NotStarted', START_AFTER_MS), 'missing', now, GRACE)).toEqual({ action: 'start' });
    expect(settlementFor(job('Running'), 'missing', now, GRACE)).toEqual({ action: 'none' });
  });

  it('ends Canceled a job canceled before its orchestration started, a minute after the invoke, not before', () => {
    expect(settlementFor(job('CancelRequested', START_AFTER_MS - 1), 'missing', now, GRACE)).toEqual({ action: 'none' });
    expect(settlementFor(job('CancelRequested', START_AFTER_MS), 'missing', now, GRACE)).toEqual({ action: 'finish', request: { outcome: 'Canceled' } });
  });
});
