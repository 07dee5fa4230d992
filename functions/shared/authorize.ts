import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { settings } from '../../app/settings';
import { createAuthenticator, type Authenticator } from '../../lib/auth';
import type { Caller } from '../../lib/auth/caller';

/** What a caller may do: Invoke includes Read; Manage includes everything. */
export type Access = 'Read' | 'Invoke' | 'Manage';

export type { Caller };

export type Authorization = { ok: true; caller: Caller } | { ok: false; response: HttpResponseInit };

// Read at load: a bad or unsafe auth setup (local issuer or AUTH_DISABLED in Azure) stops the app from starting.
const authenticator: Authenticator = createAuthenticator(settings().auth, {
  log: (message) => console.warn(`[auth] ${message}`),
});

/** Validates the Entra bearer token and checks the app role the operation needs. */
export async function authorize(request: HttpRequest, access: Access): Promise<Authorization> {
  const result = await authenticator.authorize(request, access);
  if (result.ok) {
    const { oid, tid, name } = result.caller;
    return { ok: true, caller: { oid, tid, name } };
  }
  return { ok: false, response: { status: result.status, jsonBody: result.body, headers: result.headers } };
}
