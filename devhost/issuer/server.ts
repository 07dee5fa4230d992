import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadOrCreateIssuerState, rotateSigningKey, activeKey, type IssuerState } from './keys';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_DATA_DIR,
  ISSUER_FILE,
  readIssuerInfo,
  signWithState,
  type IssuerInfo,
  type TokenOptions,
} from './sign';

export interface LocalIssuerOptions {
  /** Keys and issuer.json live here (git-ignored). Default `.devhost/issuer`. */
  dataDir?: string;
  /** 0 (default) picks a free port; a fixed port keeps printed tokens valid across restarts. */
  port?: number;
  /** Loopback only: this issuer must never be reachable from other machines. */
  host?: '127.0.0.1' | 'localhost' | '::1';
  /** The `aud` tokens get when none is chosen. */
  audience?: string;
}

export interface LocalIssuer {
  /** Exact `iss` of its tokens, shaped like Entra v2: `http://127.0.0.1:<port>/<tenant>/v2.0`. */
  issuer: string;
  openIdConfigUrl: string;
  jwksUri: string;
  audience: string;
  tenantId: string;
  signToken(options?: TokenOptions): Promise<string>;
  /** Publishes a new signing key and signs with it from now on; returns its kid. */
  rotateKey(): Promise<string>;
  /** Requests served, so tests can see key fetches. */
  readonly requests: { metadata: number; jwks: number };
  stop(): Promise<void>;
}

function publicJwks(state: IssuerState): { keys: object[] } {
  // Shaped like Entra's keys: no `alg`, `use: sig`, selection by kid.
  return { keys: state.keys.map((k) => ({ kty: 'RSA', use: 'sig', kid: k.kid, n: k.publicJwk.n, e: k.publicJwk.e })) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A minimal OpenID issuer on loopback: discovery document and JWKS, nothing else. */
export async function startLocalIssuer(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const host = options.host ?? '127.0.0.1';
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  let state = await loadOrCreateIssuerState(dataDir);
  const requests = { metadata: 0, jwks: 0 };
  let metadataPath = '';
  let jwksPath = '';
  let metadata: object = {};

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' });
    if (path === metadataPath) {
      requests.metadata++;
      return sendJson(res, 200, metadata);
    }
    if (path === jwksPath) {
      requests.jwks++;
      return sendJson(res, 200, publicJwks(state));
    }
    return sendJson(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'EADDRINUSE'
          ? new Error(`The local token issuer's port ${options.port} on ${host} is taken (another npm start?): stop it, or pick another port with LOCAL_ISSUER_PORT.`)
          : err,
      ),
    );
    server.listen(options.port ?? 0, host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const issuer = `${origin}/${state.tenantId}/v2.0`;
  metadataPath = `/${state.tenantId}/v2.0/.well-known/openid-configuration`;
  jwksPath = `/${state.tenantId}/discovery/v2.0/keys`;
  const openIdConfigUrl = origin + metadataPath;
  const jwksUri = origin + jwksPath;
  metadata = {
    issuer,
    jwks_uri: jwksUri,
    token_endpoint: `${origin}/${state.tenantId}/oauth2/v2.0/token`,
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'token'],
    subject_types_supported: ['pairwise'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  };

  const info: IssuerInfo = { issuer, openIdConfigUrl, jwksUri, audience, pid: process.pid };
  await writeFile(join(dataDir, ISSUER_FILE), JSON.stringify(info, null, 2));

  return {
    issuer,
    openIdConfigUrl,
    jwksUri,
    audience,
    tenantId: state.tenantId,
    requests,
    signToken: (tokenOptions) => signWithState(state, issuer, audience, tokenOptions),
    async rotateKey() {
      state = await rotateSigningKey(dataDir, state);
      return activeKey(state).kid;
    },
    async stop() {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await closed;
      // Leave issuer.json alone if another issuer has since taken over this folder.
      const current = await readIssuerInfo(dataDir).catch(() => undefined);
      if (current?.issuer === issuer && current.pid === process.pid) {
        await rm(join(dataDir, ISSUER_FILE), { force: true });
      }
    },
  };
}
