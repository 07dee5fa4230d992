import { messageOf } from '../util/messageOf';
import { ORCHESTRATION, type JobRef } from './contracts';
import type { JobRecord } from './types';

/** The part of the durable client that starts a job's orchestration (lib/ does not import durable-functions). */
export interface OrchestrationStarter {
  getStatus(instanceId: string): Promise<unknown>;
  startNew(name: string, options: { instanceId: string; input: JobRef }): Promise<string>;
}

/**
 * The runtime's refusal of a start whose instance id exists ("An Orchestration instance with the
 * status Pending already exists."): someone else started it, which is what we wanted.
 */
export const alreadyStarted = (err: unknown): boolean => /already exists/i.test(messageOf(err));

/**
 * Starts a job's orchestration (instance id = job id) unless it is already there. Concurrent
 * invokes with one request id may all get here: a start refused because the instance exists
 * counts as started, and two starts that both succeed (Azure accepts racing starts of one id and
 * runs the instance once) are harmless: a second run of the orchestrator finds the job's status
 * and its activities are idempotent (docs/jobs.md).
 */
export async function startJobOrchestration(client: OrchestrationStarter, job: JobRecord): Promise<void> {
  // Asked first so a retry does not start a finished instance again (the runtime would restart it).
  const status = await client.getStatus(job.jobId).catch(() => undefined);
  if (status) return;
  const input: JobRef = { endpointName: job.spec.endpointName, jobId: job.jobId };
  try {
    await client.startNew(ORCHESTRATION.job, { instanceId: job.jobId, input });
  } catch (err) {
    if (!alreadyStarted(err)) throw err;
  }
}
