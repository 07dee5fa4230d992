import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken, startLocalIssuer } from '../../../devhost/issuer';
import { createAuthenticator, readAuthConfig } from '../../../lib/auth';
import { loadJose } from '../../../lib/auth/jose';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'issuer-test-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function request(token: string): Request {
  return new Request('https://app.example/api/batchEndpoints', { headers: { authorization: `Bearer ${token}` } });
}

describe('local issuer', () => {
  it('serves discovery and keys, and its tokens look like Entra v2 tokens', async () => {
    const issuer = await startLocalIssuer({ dataDir, audience: 'api://local-test' });
    try {
      expect(issuer.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/v2\.0$/);
      const metadata = (await (await fetch(issuer.openIdConfigUrl)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri });
      const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Array<Record<string, unknown>> };
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).not.toHaveProperty('d'); // never the private part

      const token = await issuer.signToken({ roles: ['BatchEndpoints.Read'], name: 'Dev' });
      const jose = await loadJose();
      expect(jose.decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: jwks.keys[0]!.kid });
      const claims = jose.decodeJwt(token);
      expect(claims).toMatchObject({
        iss: issuer.issuer,
        aud: 'api://local-test',
        tid: issuer.tenantId,
        roles: ['BatchEndpoints.Read'],
        name: 'Dev',
        ver: '2.0',
      });
      for (const claim of ['oid', 'azp', 'iat', 'nbf', 'exp', 'sub']) expect(claims).toHaveProperty(claim);
      expect(claims.exp! - claims.iat!).toBe(3600);
      expect((await stat(join(dataDir, 'keys.json'))).mode & 0o077).toBe(0);
    } finally {
      await issuer.stop();
    }
  });

  it('persists its key: a token signed by another process validates after a restart', async () => {
    const first = await startLocalIssuer({ dataDir });
    const port = Number(new URL(first.issuer).port);
    await first.stop();
    const issuer = await startLocalIssuer({ dataDir, port });
    try {
      // signToken reads keys.json and issuer.json, as scripts/token.ts does in its own process.
      const token = await signToken({ dataDir, roles: ['BatchEndpoints.Invoke'], expiresIn: '10m' });
      const info = JSON.parse(await readFile(join(dataDir, 'issuer.json'), 'utf8')) as { issuer: string; audience: string };
      expect(info.issuer).toBe(issuer.issuer);
      const auth = createAuthenticator(readAuthConfig({ AUTH_ISSUERS: issuer.issuer, AUTH_AUDIENCES: info.audience }));
      expect(await auth.authorize(request(token), 'Invoke')).toMatchObject({ ok: true });
    } finally {
      await issuer.stop();
    }
    expect(existsSync(join(dataDir, 'issuer.json'))).toBe(false);
    await expect(signToken({ dataDir })).rejects.toThrow(/start the local host/);
  });

  // Runs when the app is built with `scripts` in tsconfig.json (npm test builds first).
  const cli = resolve('dist/scripts/token.js');
  it.skipIf(!existsSync(cli))('scripts/token.js prints a token the app accepts', async () => {
    const issuer = await startLocalIssuer({ dataDir });
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [
        cli,
        '--roles',
        'BatchEndpoints.Invoke,BatchEndpoints.Read',
        '--name',
        'CLI user',
        '--expires-in',
        '5m',
        '--data-dir',
        dataDir,
      ]);
      const auth = createAuthenticator(readAuthConfig({ AUTH_ISSUERS: issuer.issuer, AUTH_AUDIENCES: issuer.audience }));
      const result = await auth.authorize(request(stdout.trim()), 'Invoke');
      expect(result).toMatchObject({ ok: true, caller: { name: 'CLI user' } });
    } finally {
      await issuer.stop();
    }
  });
});
