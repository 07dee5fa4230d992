import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { Caller } from '../auth/caller';
import { ApiError } from '../http/apiError';
import type { CreateJobRequest } from '../jobs/createJob';
import type { IdempotencyKey } from '../jobs/idempotency';
import type { DropSource, JobRecord } from '../jobs/types';
import { datastoreUri } from '../locations/uri';
import { statusOf } from '../storage/once';
import { readPinned } from '../storage/readPinned';
import { dropOf, JOB_FILE, RESULT_FILE, type Drop } from './dropPath';
import { invokeBodyOf, parseJobFile } from './jobFile';
import { refusedResult, type DropResult } from './result';
import { deleteRefusal } from './writeResult';

/** Who drop jobs are created by (`createdBy`): the inbox, not a person. */
export const DROP_CALLER: Caller = { oid: 'blob-drop', tid: 'system', name: 'blob drop' };

export interface DropDeps {
  inbox: ContainerClient;
  outbox: ContainerClient;
  /** The built-in datastores over the inbox and the outbox: inputs and default outputs are paths in them. */
  datastores: { inbox: string; outbox: string };
  /** The invoke (lib/jobs/createJob with its dependencies bound). */
  createJob(request: CreateJobRequest): Promise<{ job: JobRecord; created: boolean }>;
  /** The job an earlier invoke recorded under this request id, if any (lib/jobs/idempotency `jobOfRequest`). */
  jobOfRequest(key: IdempotencyKey): Promise<JobRecord | undefined>;
  writeResult(blob: { container: ContainerClient; name: string }, result: DropResult): Promise<void>;
  log(message: string): void;
  now(): Date;
}

/** The built-in datastores over the inbox and outbox containers (what drop jobs show as their input and output). */
export const DROP_DATASTORES = { inbox: 'batch_inbox', outbox: 'batch_outbox' } as const;

export type DropOutcome = { kind: 'ignored' } | { kind: 'job'; job: JobRecord; created: boolean } | { kind: 'refused'; error: ApiError } | { kind: 'duplicate'; reason: string };

/**
 * The idempotency key of a drop: the same for every event about it (the trigger firing twice, the
 * marker rewritten, another host, a restart), so the invoke's claim lets exactly one job exist.
 * A folder name is used once: to score a folder again, drop it under a new name.
 */
export const dropRequestId = (container: string, path: string): string =>
  `drop-${createHash('sha256').update(`${container}/${path}`).digest('hex')}`;


/**
 * The most `_job.json` may hold: what the invoke route accepts as a body (it becomes one). A bigger
 * file is refused before it is read, so a stray huge blob named so cannot fill the host's memory.
 */
export const JOB_FILE_MAX_BYTES = 256 * 1024;

/** The job file's text, or undefined when there is none; 413 `JobFileTooLarge` past `maxBytes`. */
async function readJobFileText(container: ContainerClient, name: string, maxBytes: number): Promise<string | undefined> {
  const tooLarge = (size: number) =>
    new ApiError(413, 'JobFileTooLarge', `${JOB_FILE} is ${size} bytes; it may hold at most ${maxBytes} (settings, literal inputs and the output, not data).`, JOB_FILE);
  try {
    // The size read is the size downloaded: a file replaced meanwhile fails (412) and the trigger retries.
    return (await readPinned(container.getBlobClient(name), { bytes: maxBytes, tooLarge })).data.toString('utf8');
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Refusals a retry cannot change (a bad drop); anything else is thrown so the trigger retries. */
const isRefusal = (err: unknown): err is ApiError =>
  err instanceof ApiError && err.status >= 400 && err.status < 500 && err.code !== 'InvokeInProgress' && err.code !== 'Conflict' && err.code !== 'IdempotencyKeyReused';

/** Handles a new blob in the inbox: starts the job of the drop it completes, or explains in `_result.json` why not. */
export async function startDropJob(deps: DropDeps, blobName: string, droppedAt?: string): Promise<DropOutcome> {
  const drop = dropOf(blobName);
  if (!drop) return { kind: 'ignored' };
  const source: DropSource = { container: deps.inbox.containerName, path: drop.path, kind: drop.kind, ...(droppedAt ? { droppedAt } : {}) };
  try {
    const jobFile = parseJobFile(drop.kind === 'folder' ? await readJobFileText(deps.inbox, `${drop.path}/${JOB_FILE}`, JOB_FILE_MAX_BYTES) : undefined);
    const input = { type: drop.kind === 'folder' ? ('UriFolder' as const) : ('UriFile' as const), uri: datastoreUri(deps.datastores.inbox, drop.path) };
    const outputFolder = datastoreUri(deps.datastores.outbox, drop.path);
    const { job, created } = await deps.createJob({
      endpointName: drop.endpoint,
      body: invokeBodyOf(jobFile, input, outputFolder),
      ...(jobFile.deployment ? { deploymentName: jobFile.deployment } : {}),
      requestId: dropRequestId(source.container, drop.path),
      caller: DROP_CALLER,
      drop: source,
    });
    deps.log(created ? `Drop '${source.container}/${drop.path}' started job ${job.jobId}.` : `Drop '${source.container}/${drop.path}' already has job ${job.jobId}; nothing new started.`);
    // Dropped again after a refusal: that refusal's _result.json no longer says how the drop went.
    await deleteRefusal(refusedResultPlace(deps, drop));
    return { kind: 'job', job, created };
  } catch (err) {
    if (err instanceof ApiError && err.code === 'IdempotencyKeyReused') {
      // The drop's job exists, created from another _job.json: that job stands, and its result with it.
      const reason = `Drop '${source.container}/${drop.path}' already has a job (its ${JOB_FILE} has changed since); nothing new started.`;
      deps.log(reason);
      return { kind: 'duplicate', reason };
    }
    if (!isRefusal(err)) throw err;
    // The invoke validates before it looks for the request id's job: a late or repeated delivery
    // (the endpoint, the inputs or _job.json changed since) is refused although the drop has its job,
    // whose _result.json a refusal would overwrite.
    const existing = await deps.jobOfRequest({ caller: DROP_CALLER, endpoint: drop.endpoint, requestId: dropRequestId(source.container, drop.path) });
    if (existing) {
      const reason = `Drop '${source.container}/${drop.path}' already has job ${existing.jobId}; this delivery would now be refused (${err.code}: ${err.message}) and changes nothing.`;
      deps.log(reason);
      return { kind: 'duplicate', reason };
    }
    await deps.writeResult(refusedResultPlace(deps, drop), refusedResult(source, drop.endpoint, err, deps.now()));
    deps.log(`Drop '${source.container}/${drop.path}' was refused (${err.code}): ${err.message}`);
    return { kind: 'refused', error: err };
  }
}

/** A refused drop's `_result.json`: `<outbox>/<endpoint>/<drop>/_result.json`, where its output would have gone. */
const refusedResultPlace = (deps: DropDeps, drop: Drop) => ({ container: deps.outbox, name: `${drop.path}/${RESULT_FILE}` });
