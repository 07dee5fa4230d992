import { sealPart as sealOutputPart } from '../../output/assembly';
import type { SealPartRequest } from '../contracts';
import { isTerminal } from '../status';
import type { JobActivityDeps } from './deps';

/** A chunk that writes through a part is done: commit the part and stage it on the output blob. */
export const sealPartActivity = (deps: JobActivityDeps) =>
  async function sealPart(request: SealPartRequest): Promise<number> {
    const record = await deps.jobs.getOrThrow(request.endpointName, request.jobId);
    // A seal that runs after the job ended (a twin delivered late, or one still queued when the
    // orchestration was terminated and the job settled) feeds no output, and finish has already
    // deleted the job's parts: a part committed now would be left for ever. It writes nothing.
    if (isTerminal(record.status)) return 0;
    const slices = await sealOutputPart(deps, request.jobId, { index: request.chunk, from: request.from, to: request.to }, await deps.outputBlob(record.spec.output));
    // The job may have ended while this ran, and finish's clean-up missed the part committed here.
    const after = await deps.jobs.get(request.endpointName, request.jobId);
    if (!after || isTerminal(after.status)) await deps.parts.blob(request.jobId, request.chunk).deleteIfExists();
    return slices;
  };
