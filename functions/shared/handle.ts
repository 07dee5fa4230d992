import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { toErrorResponse } from '../../lib/http/apiError';
import type { Caller } from '../../lib/auth/caller';
import { authorize, type Access } from './authorize';

/** Authorizes, runs the work, and turns any thrown error into the error body (logging unexpected ones). */
export async function handle(
  request: HttpRequest,
  context: InvocationContext,
  access: Access,
  work: (caller: Caller) => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  try {
    const auth = await authorize(request, access);
    if (!auth.ok) return auth.response;
    return await work(auth.caller);
  } catch (err) {
    const response = toErrorResponse(err);
    if ((response.status ?? 500) >= 500) context.error(`${request.method} ${request.url} failed`, err);
    return response;
  }
}
