import type { JobStore } from './jobStore';
import { isTerminal } from './jobStore';
import type { JobRecord, JobStatus } from './types';

/** What the durable client says of a job's orchestration (undefined: not found). */
export interface OrchestrationState {
  runtimeStatus?: string;
  output?: unknown;
}

const ENDED = new Set(['Completed', 'Failed', 'Terminated']);
const RUNNING_STATUSES: JobStatus[] = ['NotStarted', 'Preparing', 'Running', 'Finalizing', 'CancelRequested'];

/**
 * A job whose orchestration has ended without recording a final status (terminated by an
 * operator, or failed even in its last-resort finish) is failed when it is read, so a poller
 * never waits forever. The update is conditional: a final status written meanwhile wins.
 */
export async function settleEndedOrchestration(job: JobRecord, state: OrchestrationState | undefined, jobs: JobStore, now: Date): Promise<JobRecord> {
  if (isTerminal(job.status) || !state?.runtimeStatus || !ENDED.has(state.runtimeStatus)) return job;
  const detail = typeof state.output === 'string' && state.output ? `: ${state.output.slice(0, 500)}` : '';
  const message = `The job's orchestration ended (${state.runtimeStatus}) without recording a result${detail}. Rows already scored were not committed; run the job again.`;
  const endTime = now.toISOString();
  // A job being canceled has what it asked for.
  const result = await jobs.update(
    job.spec.endpointName,
    job.jobId,
    (current) => (current.status === 'CancelRequested' ? { status: 'Canceled', endTime } : { status: 'Failed', error: { code: 'SystemError', message }, endTime }),
    { ifStatusIn: RUNNING_STATUSES },
  );
  return result.record;
}
