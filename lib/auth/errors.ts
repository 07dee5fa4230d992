/** The API's error envelope (design: `{ error: { code, message } }`). */
export interface ErrorBody {
  error: { code: string; message: string };
}

export type AuthStatus = 400 | 401 | 403 | 503;

/** A refused request: what the HTTP layer sends back as is. */
export interface AuthFailure {
  ok: false;
  status: AuthStatus;
  body: ErrorBody;
  /** `WWW-Authenticate` when the status calls for it (RFC 6750 §3). */
  headers: Record<string, string>;
}

export const DEFAULT_REALM = 'batch-endpoints';

/** RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E in attribute values: no quote, no backslash. */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ')}"`;
}

function challenge(realm: string, error?: string, description?: string): string {
  let value = `Bearer realm=${quoted(realm)}`;
  if (error) value += `, error=${quoted(error)}`;
  if (error && description) value += `, error_description=${quoted(description)}`;
  return value;
}

function failure(status: AuthStatus, code: string, message: string, wwwAuthenticate?: string): AuthFailure {
  const headers: Record<string, string> = wwwAuthenticate ? { 'WWW-Authenticate': wwwAuthenticate } : {};
  return { ok: false, status, body: { error: { code, message } }, headers };
}

/** No credentials at all: RFC 6750 §3.1 says the challenge carries no error code. */
export function missingToken(realm = DEFAULT_REALM): AuthFailure {
  return failure(
    401,
    'Unauthorized',
    'This API needs an Entra ID access token in the header "Authorization: Bearer <token>".',
    challenge(realm),
  );
}

/** The token was presented but is not acceptable (expired, wrong issuer, bad signature...). */
export function invalidToken(description: string, realm = DEFAULT_REALM): AuthFailure {
  return failure(401, 'Unauthorized', description, challenge(realm, 'invalid_token', description));
}

/** A malformed request or an unsupported way of sending the token (RFC 6750 §3.1: 400). */
export function invalidRequest(description: string, realm = DEFAULT_REALM): AuthFailure {
  return failure(400, 'InvalidRequest', description, challenge(realm, 'invalid_request', description));
}

/** A valid caller without the app role the operation needs. */
export function forbidden(description: string, realm = DEFAULT_REALM): AuthFailure {
  return failure(403, 'Forbidden', description, challenge(realm, 'insufficient_scope', description));
}

/** The signing keys could not be loaded: our problem, not the caller's, so not a 401. */
export function keysUnavailable(): AuthFailure {
  return failure(
    503,
    'AuthenticationUnavailable',
    'The token signing keys could not be loaded from the identity provider; try again later.',
  );
}
