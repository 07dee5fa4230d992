import type { JobPlan, JobRef, PrepareResult } from '../contracts';
import type { InputFile } from '../types';
import type { JobActivityDeps } from './deps';
import { inputError } from './errors';
import { inputChanged, planFiles } from './planFiles';
import { progressOf } from './progress';

/**
 * Lists the whole input and plans what the first page did not cover. The files already planned
 * must still come first (the input must not change under a running job).
 */
export const planRestActivity = (deps: JobActivityDeps) =>
  async function planRest(input: JobRef & { plan: JobPlan }): Promise<PrepareResult> {
    const { spec } = await deps.jobs.getOrThrow(input.endpointName, input.jobId);
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
    const planned = await planFiles(deps, input, spec, files.slice(input.plan.totalFiles), input.plan.miniBatches, files.length, input.plan);
    if (!planned.ok) return planned;
    const { plan } = planned;
    await deps.jobs.update(input.endpointName, input.jobId, (current) => ({ progress: progressOf(plan, current.progress) }), { step: 'progress' });
    return { ok: true, plan, complete: true };
  };
