import { AsyncLocalStorage } from 'node:async_hooks';
// Types only (core-rest-pipeline comes with the storage SDKs).
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { RequestPolicy, RequestPolicyFactory, WebResource } from '@azure/storage-blob';

/**
 * A deadline on the storage calls made while answering one HTTP request. The storage SDKs retry
 * for minutes and wait without limit on a service that accepts connections and never answers;
 * a caller (a Logic App polling a job) needs an answer. `withStorageDeadline` runs the request's
 * work; every storage call it makes, retries and waits between retries included, is aborted when
 * the deadline passes (policies added to the clients in clients.ts). Work outside it (the job
 * activities) keeps the SDKs' own retries: a job would rather wait out an outage than fail.
 */

interface Deadline {
  signal: AbortSignal;
  ms: number;
}

const current = new AsyncLocalStorage<Deadline>();
/**
 * Deadline scopes running now. On Node 20 an enabled AsyncLocalStorage installs promise hooks that
 * every promise in the process then pays for (the storage SDKs' download loop used 20-40% more CPU
 * with one enabled), so it is disabled again whenever no scope runs: the job activities, which
 * never use a deadline, run without the hooks between HTTP requests.
 */
let scopes = 0;

/** The storage service did not answer within the request's deadline. */
export class StorageDeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`Storage did not answer within ${ms} ms.`);
    this.name = 'StorageDeadlineError';
  }
}

/** Runs `work` with its storage calls bounded to `ms` in all. */
export async function withStorageDeadline<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new StorageDeadlineError(ms)), ms);
  scopes++;
  try {
    return await current.run({ signal: controller.signal, ms }, work);
  } finally {
    clearTimeout(timer);
    // Work a scope left running (none is expected) loses its deadline here, never another scope's.
    if (--scopes === 0) current.disable();
  }
}

/** Sends with the deadline's signal joined to the call's own, and gives up when it passes. */
async function bounded<T>(own: AbortSignal | undefined, send: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const deadline = current.getStore();
  if (!deadline) return send(own);
  const { signal } = deadline;
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    // The race answers at the deadline even if a layer below ignores the signal.
    return await Promise.race([send(own ? AbortSignal.any([own, signal]) : signal), expired]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** For @azure/data-tables (core-rest-pipeline), added per call: bounds the retries too. */
export const deadlinePolicy: PipelinePolicy = {
  name: 'storageRequestDeadline',
  sendRequest: (request, next) =>
    bounded(request.abortSignal as AbortSignal | undefined, (signal) => {
      request.abortSignal = signal;
      return next(request);
    }),
};

/** For @azure/storage-blob's pipeline (its own policy form); placed before its retry policy. */
export const deadlinePolicyFactory: RequestPolicyFactory = {
  create: (next: RequestPolicy): RequestPolicy => ({
    sendRequest: (resource: WebResource) =>
      bounded(resource.abortSignal as AbortSignal | undefined, (signal) => {
        resource.abortSignal = signal;
        return next.sendRequest(resource);
      }),
  }),
};

const UNAVAILABLE_CODES = new Set(['REQUEST_SEND_ERROR', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether an error means the storage service could not be reached or did not answer in time (the
 * request should be retried later: 503), as opposed to a bug or a refusal.
 */
export function isStorageUnavailable(err: unknown): boolean {
  if (err instanceof StorageDeadlineError) return true;
  const e = err as { name?: string; code?: string; statusCode?: number; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  // Request paths abort nothing but through the deadline.
  if (e.name === 'AbortError') return true;
  if (e.statusCode === 500 || e.statusCode === 502 || e.statusCode === 503 || e.statusCode === 504 || e.statusCode === 408) return e.name === 'RestError' || e.name === 'StorageError';
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== err && isStorageUnavailable(e.cause);
}
