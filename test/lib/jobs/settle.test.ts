import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { FinishRequest } from '../../../lib/jobs/contracts';
import type { OrchestrationState } from '../../../lib/jobs/endedOrchestration';
import { newJobId } from '../../../lib/jobs/jobId';
import { JobStore } from '../../../lib/jobs/jobStore';
import { settle, type SettleDeps } from '../../../lib/jobs/settle';
import type { JobRecord, JobStatus } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';
import { jobRecord } from './fixtures';

// The stuck-job rule against a real job table; the durable client's answers are given per test.

let jobs: JobStore;
beforeAll(() => {
  jobs = new JobStore(storageClients({ connectionString: inject('storageConnectionString') }).table('libsettletest'));
});

const GRACE = 60_000;
const later = () => new Date(Date.now() + 10 * 60_000);

async function recorded(status: JobStatus, createdMsAgo = 5 * 60_000): Promise<JobRecord> {
  const record = jobRecord('settle-ep', newJobId(), status, new Date(Date.now() - createdMsAgo).toISOString());
  await jobs.create(record);
  return (await jobs.get('settle-ep', record.jobId))!;
}

function deps(state: () => Promise<OrchestrationState | 'missing'>, overrides: Partial<SettleDeps> = {}) {
  const seen = { asked: 0, started: [] as string[], finished: [] as FinishRequest[], warnings: [] as string[] };
  const settleDeps: SettleDeps = {
    jobs,
    orchestration: () => {
      seen.asked++;
      return state();
    },
    start: async (job) => void seen.started.push(job.jobId),
    finish: async (request) => {
      seen.finished.push(request);
      await jobs.update(request.endpointName, request.jobId, { status: request.outcome, error: request.error });
    },
    graceMs: GRACE,
    now: later,
    log: () => undefined,
    warn: (message) => void seen.warnings.push(message),
    ...overrides,
  };
  return { settleDeps, seen };
}

describe('settle (the stuck-job rule)', () => {
  it('does not ask about a job whose row was written within the grace, nor about a final job', async () => {
    const running = await recorded('Running');
    const { settleDeps, seen } = deps(async () => ({ runtimeStatus: 'Terminated', lastUpdatedTime: new Date(0) }), { now: () => new Date() });
    expect(await settle(running, settleDeps)).toBe(running);
    const done = await recorded('Completed');
    expect(await settle(done, { ...settleDeps, now: later })).toBe(done);
    expect(seen.asked).toBe(0);
  });

  it('finishes a job whose orchestration was terminated, and answers with the job as it now is', async () => {
    const running = await recorded('Running');
    const { settleDeps, seen } = deps(async () => ({ runtimeStatus: 'Terminated', output: 'operator', lastUpdatedTime: new Date(Date.now() - 2 * GRACE) }));
    const settled = await settle(running, settleDeps);
    expect(seen.finished).toEqual([
      { endpointName: 'settle-ep', jobId: running.jobId, outcome: 'Failed', error: { code: 'SystemError', message: "The job's orchestration ended (Terminated) without recording a result: operator." } },
    ]);
    expect(settled).toMatchObject({ jobId: running.jobId, status: 'Failed', error: { code: 'SystemError' } });
  });

  it('starts a NotStarted job whose orchestration does not exist, and leaves a running one alone', async () => {
    const stuck = await recorded('NotStarted');
    const { settleDeps, seen } = deps(async () => 'missing');
    expect((await settle(stuck, settleDeps)).status).toBe('NotStarted');
    expect(seen.started).toEqual([stuck.jobId]);
    const live = await recorded('Running');
    const alive = deps(async () => ({ runtimeStatus: 'Running', lastUpdatedTime: new Date(0) }));
    expect(await settle(live, alive.settleDeps)).toBe(live);
    expect([alive.seen.started, alive.seen.finished]).toEqual([[], []]);
  });

  it('ends Canceled a job canceled before its orchestration ever started (the invoke died in between), not CancelRequested for ever', async () => {
    const stuck = await recorded('NotStarted');
    // The cancel route, as a user who saw the job listed NotStarted would call it.
    expect((await jobs.update('settle-ep', stuck.jobId, { status: 'CancelRequested' }, { step: 'cancel' })).applied).toBe(true);
    const canceled = (await jobs.get('settle-ep', stuck.jobId))!;
    const { settleDeps, seen } = deps(async () => 'missing');
    // Without the rule: none of start or finish, and the job (and its output claim) held for ever.
    expect((await settle(canceled, settleDeps)).status).toBe('Canceled');
    expect(seen.finished).toEqual([{ endpointName: 'settle-ep', jobId: stuck.jobId, outcome: 'Canceled' }]);
    expect(seen.started).toEqual([]);
  });

  it('never fails the read: an unknown orchestration state or a failed finish is only a warning', async () => {
    const running = await recorded('Running');
    const blind = deps(async () => {
      throw new Error('HTTP 500');
    });
    expect(await settle(running, blind.settleDeps)).toBe(running);
    expect(blind.seen.warnings).toEqual([`Could not read the orchestration of job ${running.jobId}: HTTP 500`]);
    const failing = deps(async () => ({ runtimeStatus: 'Failed', lastUpdatedTime: new Date(0) }), {
      finish: () => Promise.reject(new Error('table unavailable')),
    });
    expect((await settle(running, failing.settleDeps)).status).toBe('Running');
    expect(failing.seen.warnings).toEqual([`Could not settle job ${running.jobId}: table unavailable`]);
  });
});
