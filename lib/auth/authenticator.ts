import { bearerToken, type AuthRequest } from './bearer';
import { callerFromClaims, type TokenCaller } from './caller';
import { openIdConfigUrlFor, type AuthConfig } from './config';
import { invalidToken, keysUnavailable, type AuthFailure } from './errors';
import { loadJose } from './jose';
import { createJwksCache, KeySourceError, type JwksCache } from './jwks';
import { ALL_ROLES, requireRole, type Permission } from './roles';

export type AuthResult = { ok: true; caller: TokenCaller } | AuthFailure;

/** Injected dependencies; every one has a production default. */
export interface AuthDeps {
  fetch?: typeof globalThis.fetch;
  /** Milliseconds since the epoch. */
  now?: () => number;
  refetchCooldownMs?: number;
  /** Where operator-facing detail goes (callers only see a generic message). */
  log?: (message: string) => void;
}

export interface Authenticator {
  /** Validates the bearer token of a request and returns the caller. */
  authenticate(request: AuthRequest): Promise<AuthResult>;
  /** authenticate + requireRole in one call, for HTTP handlers. */
  authorize(request: AuthRequest, needed: Permission): Promise<AuthResult>;
  verifyToken(token: string): Promise<AuthResult>;
}

/** The caller every request gets with AUTH_DISABLED=true (local development only). */
export const AUTH_DISABLED_CALLER: TokenCaller = Object.freeze({
  oid: '00000000-0000-0000-0000-000000000000',
  tid: '00000000-0000-0000-0000-000000000000',
  name: 'anonymous (AUTH_DISABLED)',
  roles: [...ALL_ROLES],
  kind: 'user',
});

const RS256 = 'RS256';

/** Short, caller-safe descriptions for jose's error codes. */
function describe(err: { code?: string; claim?: string; reason?: string }, kid: string): string {
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired.';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.claim === 'nbf') return 'The token is not valid yet (nbf is in the future).';
      if (err.claim === 'aud') return 'The token audience (aud) is not accepted by this API.';
      if (err.claim === 'iss') return 'The token issuer (iss) is not accepted by this API.';
      return `The token claim '${err.claim}' is invalid (${err.reason}).`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The token signature is invalid.';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `The token signing key '${kid}' is not one of the issuer's current keys.`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The token algorithm is not accepted; tokens must be signed with RS256.';
    default:
      return 'The token is malformed.';
  }
}

function shorten(value: string): string {
  return value.length > 120 ? `${value.slice(0, 120)}...` : value;
}

export function createAuthenticator(config: AuthConfig, deps: AuthDeps = {}): Authenticator {
  const now = deps.now ?? Date.now;
  const realm = config.realm;
  const caches = new Map<string, JwksCache>();

  function keysFor(issuer: string): JwksCache {
    const url = config.openIdConfigUrl ?? openIdConfigUrlFor(issuer);
    let cache = caches.get(url);
    if (!cache) {
      cache = createJwksCache({
        openIdConfigUrl: url,
        now,
        ...(deps.fetch && { fetch: deps.fetch }),
        ...(deps.refetchCooldownMs !== undefined && { refetchCooldownMs: deps.refetchCooldownMs }),
      });
      caches.set(url, cache);
    }
    return cache;
  }

  async function verifyToken(token: string): Promise<AuthResult> {
    if (config.disabled) return { ok: true, caller: AUTH_DISABLED_CALLER };
    const jose = await loadJose();
    // Cheap checks on the unverified token first, so garbage never triggers a key fetch.
    let header: ReturnType<typeof jose.decodeProtectedHeader>;
    let claims: ReturnType<typeof jose.decodeJwt>;
    try {
      header = jose.decodeProtectedHeader(token);
      claims = jose.decodeJwt(token);
    } catch {
      return invalidToken('The token is not a well-formed JWT.', realm);
    }
    if (header.alg !== RS256) {
      const alg = shorten(String(header.alg));
      return invalidToken(`The token algorithm '${alg}' is not accepted; tokens must be signed with RS256.`, realm);
    }
    if (typeof header.kid !== 'string' || header.kid === '') {
      return invalidToken('The token header has no key id (kid).', realm);
    }
    if (typeof claims.iss !== 'string' || !config.issuers.includes(claims.iss)) {
      return invalidToken(`The token issuer '${shorten(String(claims.iss))}' is not accepted by this API.`, realm);
    }

    let payload: Record<string, unknown>;
    try {
      const verified = await jose.jwtVerify(token, keysFor(claims.iss).getKey, {
        algorithms: [RS256],
        issuer: config.issuers,
        audience: config.audiences,
        clockTolerance: config.clockSkewSeconds,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      });
      payload = verified.payload;
    } catch (err) {
      if (err instanceof KeySourceError) {
        deps.log?.(`auth: signing keys for ${claims.iss} unavailable: ${err.message}`);
        return keysUnavailable();
      }
      return invalidToken(describe(err as { code?: string }, shorten(header.kid)), realm);
    }

    const caller = callerFromClaims(payload);
    if ('missing' in caller) return invalidToken(`The token has no '${caller.missing}' claim.`, realm);
    return { ok: true, caller };
  }

  async function authenticate(request: AuthRequest): Promise<AuthResult> {
    if (config.disabled) return { ok: true, caller: AUTH_DISABLED_CALLER };
    const found = bearerToken(request, realm);
    return found.ok ? verifyToken(found.token) : found;
  }

  async function authorize(request: AuthRequest, needed: Permission): Promise<AuthResult> {
    const result = await authenticate(request);
    if (!result.ok) return result;
    return requireRole(result.caller, needed, realm) ?? result;
  }

  return { authenticate, authorize, verifyToken };
}
