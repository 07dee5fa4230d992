import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIssuerState, startLocalIssuer, type LocalIssuer } from '../../../devhost/issuer';
import { createAuthenticator, readAuthConfig, type AuthDeps, type AuthResult } from '../../../lib/auth';
import { loadJose } from '../../../lib/auth/jose';

const AUDIENCE = 'api://batch-endpoints-test';
const dirs: string[] = [];
let issuer: LocalIssuer;
let issuerDir: string;
let other: LocalIssuer; // a second issuer that is not trusted unless configured
let clock = Date.now();
const now = () => clock;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-test-'));
  dirs.push(dir);
  return dir;
}

function makeAuth(env: Record<string, string> = {}, deps: AuthDeps = {}) {
  const config = readAuthConfig({ AUTH_ISSUERS: issuer.issuer, AUTH_AUDIENCES: AUDIENCE, ...env });
  return createAuthenticator(config, { now, ...deps });
}

function request(token?: string, url = 'https://app.example/api/batchEndpoints/e1/jobs'): Request {
  return new Request(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Asserts a refusal and returns its WWW-Authenticate value. */
function expectRefused(result: AuthResult, status: number, pattern?: RegExp): string {
  if (result.ok) throw new Error(`expected a ${status}, got caller ${result.caller.name}`);
  expect(result.status).toBe(status);
  if (pattern) expect(result.body.error.message).toMatch(pattern);
  return result.headers['WWW-Authenticate'] ?? '';
}

beforeAll(async () => {
  issuerDir = await tempDir();
  issuer = await startLocalIssuer({ dataDir: issuerDir, audience: AUDIENCE });
  other = await startLocalIssuer({ dataDir: await tempDir(), audience: AUDIENCE });
});

afterAll(async () => {
  await issuer.stop();
  await other.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('valid tokens', () => {
  it('accepts a user token and returns the caller', async () => {
    const token = await issuer.signToken({ roles: ['BatchEndpoints.Invoke'], name: 'Ada', oid: 'a1b2' });
    const result = await makeAuth().authenticate(request(token));
    expect(result).toEqual({
      ok: true,
      caller: { oid: 'a1b2', tid: issuer.tenantId, name: 'Ada', roles: ['BatchEndpoints.Invoke'], kind: 'user' },
    });
  });

  it('accepts an app-only token and names the caller by its client id', async () => {
    const token = await issuer.signToken({ kind: 'app', roles: ['BatchEndpoints.Read'], appId: 'client-123' });
    const result = await makeAuth().authenticate(request(token));
    expect(result).toMatchObject({ ok: true, caller: { kind: 'app', name: 'client-123' } });
  });

  it('accepts expiry and not-before within the clock skew', async () => {
    const auth = makeAuth();
    const nowS = Math.floor(clock / 1000);
    const justExpired = await issuer.signToken({ issuedAt: nowS - 3700, expiresIn: 3600 }); // 100 s ago
    const almostValid = await issuer.signToken({ notBeforeIn: 100 });
    expect((await auth.authenticate(request(justExpired))).ok).toBe(true);
    expect((await auth.authenticate(request(almostValid))).ok).toBe(true);
  });

  it('shares one key fetch between concurrent first requests', async () => {
    const before = issuer.requests.jwks;
    const auth = makeAuth();
    const token = await issuer.signToken();
    const results = await Promise.all(Array.from({ length: 5 }, () => auth.authenticate(request(token))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(issuer.requests.jwks - before).toBe(1);
  });

  it('accepts tokens from each configured issuer, each with its own keys', async () => {
    const auth = makeAuth({ AUTH_ISSUERS: `${issuer.issuer}, ${other.issuer}` });
    expect((await auth.authenticate(request(await issuer.signToken()))).ok).toBe(true);
    expect((await auth.authenticate(request(await other.signToken()))).ok).toBe(true);
  });
});

describe('refused tokens', () => {
  it('no token: 401 with a bare challenge (no error code, RFC 6750 §3.1)', async () => {
    const challenge = expectRefused(await makeAuth().authenticate(request()), 401);
    expect(challenge).toBe('Bearer realm="batch-endpoints"');
  });

  it('another scheme counts as no token', async () => {
    const req = new Request('https://app.example/api/x', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(expectRefused(await makeAuth().authenticate(req), 401)).toBe('Bearer realm="batch-endpoints"');
  });

  it('token in the query string: 400 invalid_request, even when valid', async () => {
    const token = await issuer.signToken({ roles: ['BatchEndpoints.Manage'] });
    const auth = makeAuth();
    const url = `https://app.example/api/batchEndpoints?access_token=${token}`;
    const challenge = expectRefused(await auth.authenticate(request(undefined, url)), 400, /query string/);
    expect(challenge).toMatch(/^Bearer realm="batch-endpoints", error="invalid_request", error_description="/);
    expectRefused(await auth.authenticate(request(token, url)), 400, /query string/);
  });

  it('malformed Authorization header: 400 invalid_request', async () => {
    const req = new Request('https://app.example/api/x', { headers: { authorization: 'Bearer a b' } });
    expect(expectRefused(await makeAuth().authenticate(req), 400)).toMatch(/error="invalid_request"/);
  });

  it('garbage token: 401 invalid_token', async () => {
    const challenge = expectRefused(await makeAuth().authenticate(request('not.a.jwt')), 401, /well-formed/);
    expect(challenge).toMatch(/error="invalid_token"/);
  });

  it('alg none: 401, no key fetched', async () => {
    const before = issuer.requests.jwks;
    const valid = await issuer.signToken({ roles: ['BatchEndpoints.Manage'] });
    const [header, payload] = valid.split('.') as [string, string];
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string }).kid;
    const auth = makeAuth();
    for (const unsigned of [`${b64({ alg: 'none', typ: 'JWT', kid })}.${payload}.`, `${b64({ alg: 'none', kid })}.${payload}`]) {
      const challenge = expectRefused(await auth.authenticate(request(unsigned)), 401);
      expect(challenge).toMatch(/error="invalid_token"/);
    }
    expect(issuer.requests.jwks).toBe(before);
  });

  it('HS256 signed with the public key as the secret: 401 (algorithm pinned to RS256)', async () => {
    const auth = makeAuth();
    const jose = await loadJose();
    const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Array<{ kid: string; n: string; e: string }> };
    const jwk = jwks.keys[0]!;
    const publicPem = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const forged = await new jose.SignJWT({ oid: 'x', tid: issuer.tenantId, roles: ['BatchEndpoints.Manage'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })
      .setIssuer(issuer.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(publicPem as string));
    expectRefused(await auth.authenticate(request(forged)), 401, /RS256/);
  });

  it('tampered payload: 401 bad signature', async () => {
    const token = await issuer.signToken({ roles: ['BatchEndpoints.Read'] });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${b64({ ...claims, roles: ['BatchEndpoints.Manage'] })}.${signature}`;
    expectRefused(await makeAuth().authenticate(request(tampered)), 401, /signature is invalid/);
  });

  it('wrong issuer: 401, and the untrusted issuer is never contacted', async () => {
    const before = other.requests.metadata;
    const token = await other.signToken({ roles: ['BatchEndpoints.Read'] });
    const challenge = expectRefused(await makeAuth().authenticate(request(token)), 401, /issuer/);
    expect(challenge).toMatch(/error="invalid_token", error_description="The token issuer/);
    expect(other.requests.metadata).toBe(before);
  });

  it('wrong issuer claim on a token signed by a trusted key: 401', async () => {
    const token = await issuer.signToken({ claims: { iss: 'https://login.microsoftonline.com/other/v2.0' } });
    expectRefused(await makeAuth().authenticate(request(token)), 401, /issuer/);
  });

  it('wrong audience: 401', async () => {
    const token = await issuer.signToken({ audience: 'api://someone-else' });
    expectRefused(await makeAuth().authenticate(request(token)), 401, /audience/);
  });

  it('expired beyond the skew: 401', async () => {
    const token = await issuer.signToken({ issuedAt: Math.floor(clock / 1000) - 7200, expiresIn: 3600 });
    const challenge = expectRefused(await makeAuth().authenticate(request(token)), 401, /expired/);
    expect(challenge).toBe(
      'Bearer realm="batch-endpoints", error="invalid_token", error_description="The token has expired."',
    );
  });

  it('nbf in the future beyond the skew: 401', async () => {
    const token = await issuer.signToken({ notBeforeIn: 1000 });
    expectRefused(await makeAuth().authenticate(request(token)), 401, /not valid yet/);
  });

  it('a smaller configured skew is honoured', async () => {
    const token = await issuer.signToken({ notBeforeIn: 100 });
    expectRefused(await makeAuth({ AUTH_CLOCK_SKEW_SECONDS: '30' }).authenticate(request(token)), 401, /not valid yet/);
  });

  it('no expiry: 401', async () => {
    const jose = await loadJose();
    const claims = jose.decodeJwt(await issuer.signToken());
    delete claims.exp;
    const key = (await readIssuerState(issuerDir))!.keys.at(-1)!; // the issuer's real signing key
    const noExp = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .sign(createPrivateKey({ key: key.privateJwk, format: 'jwk' }));
    expectRefused(await makeAuth().authenticate(request(noExp)), 401, /'exp' is invalid/);
  });

  it('missing oid: 401', async () => {
    const token = await issuer.signToken({ claims: { oid: undefined } });
    expectRefused(await makeAuth().authenticate(request(token)), 401, /'oid'/);
  });
});

describe('signing keys', () => {
  it('unknown kid: refetches once, still unknown -> 401; refetches are rate-limited', async () => {
    const jose = await loadJose();
    const auth = makeAuth();
    expect((await auth.authenticate(request(await issuer.signToken()))).ok).toBe(true);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forge = (kid: string) =>
      new jose.SignJWT({ oid: 'o', tid: issuer.tenantId, roles: ['BatchEndpoints.Manage'] })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(issuer.issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt(Math.floor(clock / 1000))
        .setExpirationTime(Math.floor(clock / 1000) + 3600)
        .sign(stranger);

    clock += 31_000;
    const before = issuer.requests.jwks;
    expectRefused(await auth.authenticate(request(await forge('stranger-1'))), 401, /signing key 'stranger-1'/);
    expect(issuer.requests.jwks - before).toBe(1);
    // A flood of made-up kids within 30 s costs no further fetch.
    for (const kid of ['stranger-2', 'stranger-3', 'stranger-4']) {
      expectRefused(await auth.authenticate(request(await forge(kid))), 401, /signing key/);
    }
    expect(issuer.requests.jwks - before).toBe(1);
    clock += 31_000;
    expectRefused(await auth.authenticate(request(await forge('stranger-5'))), 401, /signing key/);
    expect(issuer.requests.jwks - before).toBe(2);
  });

  it('picks up a rotated key through a refetch, and keeps accepting the previous key', async () => {
    const dir = await tempDir();
    const rotating = await startLocalIssuer({ dataDir: dir, audience: AUDIENCE });
    try {
      const auth = createAuthenticator(readAuthConfig({ AUTH_ISSUERS: rotating.issuer, AUTH_AUDIENCES: AUDIENCE }), { now });
      const oldToken = await rotating.signToken();
      expect((await auth.authenticate(request(oldToken))).ok).toBe(true);
      expect(rotating.requests.jwks).toBe(1);

      const newKid = await rotating.rotateKey();
      const newToken = await rotating.signToken();
      expect(newToken.split('.')[0]).toBe(b64({ alg: 'RS256', typ: 'JWT', kid: newKid }));
      // Right after the last fetch, the cooldown holds the new kid back...
      expectRefused(await auth.authenticate(request(newToken)), 401, /signing key/);
      expect(rotating.requests.jwks).toBe(1);
      // ...and once it has passed, the unknown kid triggers a refetch that finds it.
      clock += 31_000;
      expect((await auth.authenticate(request(newToken))).ok).toBe(true);
      expect(rotating.requests.jwks).toBe(2);
      expect((await auth.authenticate(request(oldToken))).ok).toBe(true);
      expect(rotating.requests.jwks).toBe(2);
    } finally {
      await rotating.stop();
    }
  });

  it('unreachable identity provider: 503, not 401', async () => {
    const closed = await startLocalIssuer({ dataDir: await tempDir(), audience: AUDIENCE });
    const token = await closed.signToken();
    await closed.stop();
    const logs: string[] = [];
    const auth = createAuthenticator(readAuthConfig({ AUTH_ISSUERS: closed.issuer, AUTH_AUDIENCES: AUDIENCE }), {
      now,
      log: (m) => logs.push(m),
    });
    const result = await auth.authenticate(request(token));
    expect(result).toMatchObject({ ok: false, status: 503, body: { error: { code: 'AuthenticationUnavailable' } } });
    expect(logs.join('\n')).toMatch(/signing keys .* unavailable/);
  });
});

describe('roles', () => {
  it('missing role: 403 naming the role', async () => {
    const token = await issuer.signToken({ roles: ['BatchEndpoints.Read'], name: 'Reader' });
    const result = await makeAuth().authorize(request(token), 'Invoke');
    const challenge = expectRefused(result, 403, /lacks the app role 'BatchEndpoints.Invoke'/);
    expect(result).toMatchObject({ body: { error: { code: 'Forbidden' } } });
    expect(challenge).toMatch(/error="insufficient_scope"/);
  });

  it('Manage includes Invoke and Read; Invoke includes Read', async () => {
    const auth = makeAuth();
    const manage = request(await issuer.signToken({ roles: ['BatchEndpoints.Manage'] }));
    const invoke = request(await issuer.signToken({ roles: ['BatchEndpoints.Invoke'] }));
    const none = request(await issuer.signToken({ roles: [] }));
    expect((await auth.authorize(manage, 'Invoke')).ok).toBe(true);
    expect((await auth.authorize(manage, 'Read')).ok).toBe(true);
    expect((await auth.authorize(invoke, 'Read')).ok).toBe(true);
    expectRefused(await auth.authorize(invoke, 'Manage'), 403, /'BatchEndpoints.Manage'/);
    expectRefused(await auth.authorize(none, 'Read'), 403, /'BatchEndpoints.Read'/);
  });
});

describe('AUTH_DISABLED', () => {
  it('gives every request a local caller with all roles', async () => {
    const auth = createAuthenticator(readAuthConfig({ AUTH_DISABLED: 'true' }));
    const result = await auth.authorize(request(), 'Manage');
    expect(result).toMatchObject({ ok: true, caller: { name: 'anonymous (AUTH_DISABLED)' } });
  });
});
