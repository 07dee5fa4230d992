import { sealPart as sealOutputPart } from '../../output/assembly';
import type { SealPartRequest } from '../contracts';
import type { JobActivityDeps } from './deps';

/** A chunk that writes through a part is done: commit the part and stage it on the output blob. */
export const sealPartActivity = (deps: JobActivityDeps) =>
  async function sealPart(request: SealPartRequest): Promise<number> {
    const { spec } = await deps.jobs.getOrThrow(request.endpointName, request.jobId);
    return sealOutputPart(deps, request.jobId, { index: request.chunk, from: request.from, to: request.to }, await deps.outputBlob(spec.output));
  };
