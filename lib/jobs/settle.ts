import { messageOf } from '../util/messageOf';
import type { FinishRequest } from './contracts';
import { settlementFor, START_AFTER_MS, type OrchestrationState } from './endedOrchestration';
import type { JobStore } from './jobStore';
import { isTerminal } from './status';
import type { JobRecord } from './types';

export interface SettleDeps {
  jobs: Pick<JobStore, 'get'>;
  /** The job's orchestration as the durable client reports it, 'missing' when there is none; throws when it cannot tell. */
  orchestration(jobId: string): Promise<OrchestrationState | 'missing'>;
  /** Starts the job's orchestration (instance id = job id). */
  start(job: JobRecord): Promise<void>;
  /** The finish activity, run here for an orchestration that ended without it. */
  finish(request: FinishRequest): Promise<unknown>;
  /** How long after its last update an ended orchestration (or a job row) counts as settled. */
  graceMs: number;
  now(): Date;
  log(message: string): void;
  warn(message: string): void;
}

/**
 * The stuck-job rule, applied when a job that is not final is read: a NotStarted job whose
 * orchestration never started is started; one whose orchestration ended without a final status
 * (terminated, or failed even in its last-resort finish) is finished the way it would have been
 * (settlementFor). Returns the job as it now is. Best effort: a poller never gets an error from it.
 */
export async function settle(job: JobRecord, deps: SettleDeps): Promise<JobRecord> {
  if (isTerminal(job.status)) return job;
  // A row written within the grace belongs to a live job (progress is written every few seconds
  // while mini-batches finish): no need to ask the orchestration, which keeps polling cheap.
  if (job.updatedAt && deps.now().getTime() - Date.parse(job.updatedAt) < Math.max(deps.graceMs, 1)) return job;
  let state: OrchestrationState | 'missing';
  try {
    state = await deps.orchestration(job.jobId);
  } catch (err) {
    deps.warn(`Could not read the orchestration of job ${job.jobId}: ${messageOf(err)}`);
    return job;
  }
  const settlement = settlementFor(job, state, deps.now(), deps.graceMs);
  if (settlement.action === 'none') return job;
  try {
    if (settlement.action === 'start') {
      await deps.start(job);
      deps.log(`Job ${job.jobId} had no orchestration ${Math.round(START_AFTER_MS / 1000)} s after its invoke: started it.`);
    } else {
      await deps.finish({ endpointName: job.spec.endpointName, jobId: job.jobId, ...settlement.request });
      deps.log(`Job ${job.jobId}: its orchestration had ended without a final status; finished it as ${settlement.request.outcome}.`);
    }
  } catch (err) {
    deps.warn(`Could not settle job ${job.jobId}: ${messageOf(err)}`);
  }
  return (await deps.jobs.get(job.spec.endpointName, job.jobId)) ?? job;
}
