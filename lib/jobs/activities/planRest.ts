import type { JobPlan, JobRef, PrepareResult } from '../contracts';
import type { InputFile } from '../types';
import type { JobActivityDeps } from './deps';
import { isTerminal } from '../status';
import { inputError } from './errors';
import { inputChanged, planFiles } from './planFiles';
import { progressOf } from './progress';

/**
 * Lists the whole input and plans what prepare's first page did not cover. The files already planned
 * must still come first (the input must not change under a running job).
 */
export const planRestActivity = (deps: JobActivityDeps) =>
  async function planRest(input: JobRef & { plan: JobPlan }): Promise<PrepareResult> {
    const { spec, status } = await deps.jobs.getOrThrow(input.endpointName, input.jobId);
    // A planRest that runs after the job ended (a twin delivered late, or one still listing when
    // the orchestration was terminated and the job settled) plans nothing: finish has deleted the
    // plan already, and chunks written now would be left for ever.
    if (isTerminal(status)) return { ok: false };
    let files: InputFile[];
    try {
      files = await deps.listInputFiles(spec.input);
    } catch (err) {
      return inputError(err);
    }
    const first = (await deps.plans.read(input.jobId, 0)).flat();
    if (first.some((f, i) => files[i]?.name !== f.name)) {
      return { ok: false, error: inputChanged(spec) };
    }
    // From the start of the chunk prepare's plan ends in: when prepare planned only the first
    // mini-batches of the first chunk, that chunk is written again, whole (the same first entries).
    const from = Math.floor(input.plan.miniBatches / input.plan.chunkSize) * input.plan.chunkSize;
    const planned = await planFiles(deps, input, spec, files.slice(from * input.plan.miniBatchSize), from, files.length, input.plan);
    if (!planned.ok) return planned;
    // A stored chunk this listing does not begin (a planned file written again, other bytes) is
    // kept for the mini-batches scoring from it; answering with it would drop every file after it.
    if (planned.adopted) return { ok: false, error: inputChanged(spec) };
    const { plan } = planned;
    // The job may have ended while this listed and wrote, and finish's clean-up missed what was written here.
    const after = await deps.jobs.get(input.endpointName, input.jobId);
    if (!after || isTerminal(after.status)) {
      await deps.plans.deleteJob(input.jobId);
      return { ok: false };
    }
    await deps.jobs.update(input.endpointName, input.jobId, (current) => ({ progress: progressOf(plan, current.progress) }), { step: 'progress' });
    return { ok: true, plan, complete: true };
  };
