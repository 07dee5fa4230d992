import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { settings } from '../../app/settings';
import { ApiError, toErrorResponse } from '../../lib/http/apiError';
import type { Caller } from '../../lib/auth/caller';
import { isStorageUnavailable, withStorageDeadline } from '../../lib/storage/deadline';
import { authorize, type Access } from './authorize';

const STORAGE_DEADLINE_MS = settings().storageRequestDeadlineMs;
/** Seconds a caller should wait after a 503 before trying again. */
const RETRY_AFTER_UNAVAILABLE = '10';

/** Storage that is down or too slow: a 503 the caller retries, not a 500 or a hang. */
const unavailable = (): ApiError =>
  new ApiError(503, 'ServiceUnavailable', 'The service could not reach its storage in time. Try again shortly.', undefined, undefined, {
    'Retry-After': RETRY_AFTER_UNAVAILABLE,
  });

/**
 * Authorizes, runs the work with a deadline on its storage calls (lib/storage/deadline), and
 * turns any thrown error into the error body (logging unexpected ones).
 */
export async function handle(
  request: HttpRequest,
  context: InvocationContext,
  access: Access,
  work: (caller: Caller) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  try {
    const auth = await authorize(request, access);
    if (!auth.ok) return auth.response;
    return await withStorageDeadline(STORAGE_DEADLINE_MS, () => work(auth.caller));
  } catch (err) {
    if (!(err instanceof ApiError) && isStorageUnavailable(err)) {
      context.warn(`${request.method} ${request.url}: storage unavailable (${(err as Error).message})`);
      return toErrorResponse(unavailable());
    }
    const response = toErrorResponse(err);
    if ((response.status ?? 500) >= 500) context.error(`${request.method} ${request.url} failed`, err);
    return response;
  }
}
