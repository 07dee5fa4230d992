import type { Registry } from '../registry/registry';
import type { Caller } from '../auth/caller';
import { ApiError } from '../http/apiError';
import { checkPublicUrl } from '../inputs/publicUrlCheck';
import { validateInputUri, type DataDeps } from '../inputs/resolveInput';
import { outputAlreadyExists, outputBlobClient, outputExists, resolveOutputLocation, type OutputLocation } from '../output/location';
import { REQUEST_ID_HEADER, requestHash, RETRY_SOON, type IdempotencyStore } from './idempotency';
import { applyOverrides, parseInvokeRequest } from './invokeRequest';
import { newJobId } from './jobId';
import type { JobStore } from './jobStore';
import { STALE_OUTPUT_CLAIM_MS, type OutputClaims, type OutputHolder } from './outputClaims';
import { isTerminal } from './status';
import { EMPTY_PROGRESS, type DropSource, type JobRecord } from './types';

export interface CreateJobDeps {
  registry: Registry;
  jobs: JobStore;
  idempotency: IdempotencyStore;
  outputClaims: OutputClaims;
  data: DataDeps;
  /** Starts the job's orchestration (instance id = job id); must tolerate being called again. */
  startOrchestration(job: JobRecord): Promise<void>;
  now(): Date;
}

export interface CreateJobRequest {
  endpointName: string;
  body: unknown;
  /** `azureml-model-deployment` header: a non-default deployment. */
  deploymentName?: string;
  /** `x-ms-client-request-id` header: makes the invoke idempotent. */
  requestId?: string;
  caller: Caller;
  /** The blob drop that started the job (its end then writes `_result.json`). */
  drop?: DropSource;
}

/**
 * Invoke: validates everything first (body, deployment, input, output), then records the job
 * (NotStarted) and starts its orchestration. With a request id, the same caller and id always
 * get the same job, and never a second one.
 */
export async function createJob(deps: CreateJobDeps, request: CreateJobRequest): Promise<{ job: JobRecord; created: boolean }> {
  const parsed = parseInvokeRequest(request.body);
  const resolved = await deps.registry.resolveDeployment(request.endpointName, request.deploymentName);
  const settings = applyOverrides(resolved.settings, parsed.overrides);
  const inputField = `properties.inputData.${parsed.input.name}.uri`;
  const input = await validateInputUri(parsed.input.uri, parsed.input.type, deps.data, inputField);
  // SSRF: refuse a public URL to a non-public address now, before a job exists (the download checks again).
  if (input.location.kind === 'https') {
    await checkPublicUrl(input.location.url, { policy: deps.data.fetch?.policy, resolve: deps.data.fetch?.resolve, field: inputField });
  }

  let jobId = newJobId(deps.now());
  if (request.requestId) {
    const claim = await deps.idempotency.claim(
      { caller: request.caller, endpoint: resolved.endpoint.name, requestId: request.requestId },
      {
        jobId,
        requestHash: requestHash({ deployment: resolved.deployment.name, request: parsed }),
        jobExists: async (id) => !!(await deps.jobs.get(resolved.endpoint.name, id)),
      },
    );
    if (claim.existing) {
      if (!claim.sameRequest) {
        throw new ApiError(409, 'IdempotencyKeyReused', `The ${REQUEST_ID_HEADER} '${request.requestId}' was used for a different request; use a new id for a new job.`, REQUEST_ID_HEADER);
      }
      const existing = await deps.jobs.get(resolved.endpoint.name, claim.jobId);
      if (existing) {
        // The first invoke may have died before starting the orchestration: start it now.
        if (existing.status === 'NotStarted') await deps.startOrchestration(existing);
        return { job: existing, created: false };
      }
      // The winner has claimed the id but not recorded its job yet.
      throw new ApiError(409, 'InvokeInProgress', `An invoke with ${REQUEST_ID_HEADER} '${request.requestId}' is still being processed; retry shortly.`, REQUEST_ID_HEADER, undefined, {
        'Retry-After': RETRY_SOON,
      });
    }
    jobId = claim.jobId;
  }

  let recorded = false;
  let claimedOutput: string | undefined;
  try {
    const output = await resolveOutputLocation({ jobId, outputUri: parsed.outputUri, outputFileName: settings.outputFileName, outputName: parsed.outputName }, deps.data);
    if (settings.outputAction === 'AppendRow') {
      // Claimed first, then checked: of concurrent invokes aimed at one output only the claim's
      // winner gets here, and an output a running job will write is refused now, not at its end.
      claimedOutput = await claimOutput(deps, output, { jobId, endpoint: resolved.endpoint.name });
      if (await outputExists(output, deps.data)) throw outputAlreadyExists(output);
    }
    const { model, code } = resolved;
    const job: JobRecord = {
      jobId,
      status: 'NotStarted',
      progress: EMPTY_PROGRESS,
      createdBy: request.caller,
      creationTime: deps.now().toISOString(),
      spec: {
        endpointName: resolved.endpoint.name,
        deploymentName: resolved.deployment.name,
        inputData: parsed.inputData as Record<string, unknown>,
        input: { ...parsed.input, resolvedUri: input.resolvedUri },
        params: parsed.params,
        outputData: parsed.outputData as Record<string, unknown>,
        output,
        ...(claimedOutput ? { outputClaim: claimedOutput } : {}),
        settings,
        model: { name: model.name, version: model.version, modelType: model.properties.modelType, modelUri: model.properties.modelUri },
        code: code ? { name: code.name, version: code.version, codeUri: code.properties.codeUri } : undefined,
        scoringScript: resolved.scoringScript,
        ...(Object.keys(parsed.metadata).length ? { metadata: parsed.metadata } : {}),
        ...(request.drop ? { drop: request.drop } : {}),
      },
    };
    await deps.jobs.create(job);
    recorded = true;
    await deps.startOrchestration(job);
    return { job, created: true };
  } catch (err) {
    // Once the job is recorded the claim stays: a retry with the same id finds it and starts it.
    if (request.requestId && !recorded) {
      await deps.idempotency.release({ caller: request.caller, endpoint: resolved.endpoint.name, requestId: request.requestId }, jobId).catch(() => undefined);
    }
    if (claimedOutput && !recorded) await deps.outputClaims.release(claimedOutput, jobId).catch(() => undefined);
    throw err;
  }
}

/** Claims the output blob for the job (lib/jobs/outputClaims); 409 OutputInUse while another job holds it. Returns the claim's key. */
async function claimOutput(deps: CreateJobDeps, output: OutputLocation, job: { jobId: string; endpoint: string }): Promise<string> {
  const blobUrl = (await outputBlobClient(output, deps.data)).url;
  const holds = async (holder: OutputHolder): Promise<boolean> => {
    const held = await deps.jobs.get(holder.endpoint, holder.jobId);
    if (held) return !isTerminal(held.status);
    // Not recorded (yet): its invoke is running, or died (then the claim goes stale).
    return deps.now().getTime() - Date.parse(holder.claimedAt) < STALE_OUTPUT_CLAIM_MS;
  };
  const claim = await deps.outputClaims.claim(blobUrl, { ...job, holds, now: deps.now });
  if (!claim.won) {
    throw new ApiError(
      409,
      'OutputInUse',
      `The output '${output.uri}' will be written by job ${claim.holder.jobId}, which has not ended; outputs are written once. ` +
        `Choose another output path or file name, or wait until that job ends (its output is released if it fails or is canceled).`,
      'properties.outputData',
    );
  }
  return blobUrl;
}
