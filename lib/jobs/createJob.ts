import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from '../registry/registry';
import type { Caller } from '../auth/caller';
import { ApiError } from '../http/apiError';
import { checkPublicUrl } from '../inputs/publicUrlCheck';
import { validateInputUri, type DataDeps } from '../inputs/resolveInput';
import { outputAlreadyExists, outputBlobClient, outputExists, resolveOutputLocation, type OutputLocation } from '../output/location';
import { REQUEST_ID_HEADER, requestHash, RETRY_SOON, type IdempotencyStore } from './idempotency';
import { applyOverrides, parseInvokeRequest } from './invokeRequest';
import { checkTimeoutFitsHost, type FunctionTimeout } from '../registry/functionTimeout';
import { deploymentAssets } from './deploymentAssets';
import { newJobId } from './jobId';
import type { JobStore } from './jobStore';
import { STALE_OUTPUT_CLAIM_MS, type OutputClaims, type OutputHolder } from './outputClaims';
import { isTerminal } from './status';
import { messageOf } from '../util/messageOf';
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
  /** The host's functionTimeout: a mini-batch timeout must be shorter (lib/registry/functionTimeout). */
  functionTimeout?: FunctionTimeout;
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
  // Also a deployment's own timeout: it may predate a lower functionTimeout.
  checkTimeoutFitsHost(settings.timeout, deps.functionTimeout, parsed.overrides.timeout ? 'properties.retrySettings.timeout' : `the deployment's retrySettings.timeout`);
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
      const existing = await recordedJob(deps, resolved.endpoint.name, claim.jobId);
      if (existing) {
        // The first invoke may have died before starting the orchestration: start it now.
        if (existing.status === 'NotStarted') {
          try {
            await deps.startOrchestration(existing);
          } catch (err) {
            return await startFailed(deps, request, existing, err);
          }
        }
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
        ...deploymentAssets(resolved),
        ...(Object.keys(parsed.metadata).length ? { metadata: parsed.metadata } : {}),
        ...(request.drop ? { drop: request.drop } : {}),
      },
    };
    await deps.jobs.create(job);
    recorded = true;
    try {
      await deps.startOrchestration(job);
    } catch (err) {
      return await startFailed(deps, request, job, err);
    }
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

/**
 * The job is recorded but its orchestration could not be started (the durable client or the task
 * hub could not be reached). Left NotStarted it would be listed as waiting for ever, so it is
 * recorded Failed (`JobStartFailed`) and its request-id and output claims are given up: the invoke
 * answers 503, and a retry (with the same request id or not) makes a new job. A job that moved on
 * meanwhile was started after all (the start's answer was lost): that one runs and is returned.
 * If even the Failed write fails the job stays NotStarted, as before: a retry with the same request
 * id starts it, and so does a read by id a minute later (lib/jobs/settle.ts).
 */
async function startFailed(deps: CreateJobDeps, request: CreateJobRequest, job: JobRecord, err: unknown): Promise<{ job: JobRecord; created: boolean }> {
  const why = messageOf(err);
  const error = { code: 'JobStartFailed', message: `The job's orchestration could not be started: ${why}` };
  const endpoint = job.spec.endpointName;
  const ended = await deps.jobs
    .update(endpoint, job.jobId, (current) => (current.status === 'NotStarted' ? { status: 'Failed', error, endTime: deps.now().toISOString() } : {}))
    .catch(() => undefined);
  if (!ended) throw err;
  const { record } = ended;
  if (record.status !== 'Failed' || record.error?.code !== error.code) {
    if (!isTerminal(record.status)) return { job: record, created: true };
    throw err;
  }
  if (request.requestId) {
    await deps.idempotency.release({ caller: request.caller, endpoint, requestId: request.requestId }, job.jobId).catch(() => undefined);
  }
  if (job.spec.outputClaim) await deps.outputClaims.release(job.spec.outputClaim, job.jobId).catch(() => undefined);
  const retry = request.requestId ? ` (the same ${REQUEST_ID_HEADER} may be used again)` : '';
  throw new ApiError(503, 'JobStartFailed', `Job ${job.jobId} was recorded but could not be started (${why}); it is marked Failed. Invoke again${retry}.`, undefined, undefined, {
    'Retry-After': START_RETRY_AFTER,
  });
}

/** How long an invoke waits for the job of a request id claimed by another invoke to be recorded. */
const RECORD_WAIT_MS = 5_000;
const RECORD_POLL_MS = 200;

/**
 * The job claimed under a request id, waiting a moment while the winning invoke records it (a few
 * storage calls after its claim): a client that sent the same POST again because the first answer
 * was lost would get 409 InvokeInProgress, which Logic Apps do not retry (only 408, 429, 5xx).
 * Undefined when it is still not recorded (the winner is slow or died: 409, as before).
 */
async function recordedJob(deps: CreateJobDeps, endpoint: string, jobId: string): Promise<JobRecord | undefined> {
  const until = Date.now() + RECORD_WAIT_MS;
  for (;;) {
    const job = await deps.jobs.get(endpoint, jobId);
    if (job || Date.now() >= until) return job;
    await sleep(RECORD_POLL_MS);
  }
}

/** Seconds a caller waits before invoking again after a failed start (as for a storage outage). */
const START_RETRY_AFTER = '10';

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
