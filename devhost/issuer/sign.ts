import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadJose } from './jose';
import { activeKey, readIssuerState, type IssuerState } from './keys';

export interface TokenOptions {
  roles?: string[];
  /** Defaults to the issuer's persisted default oid. */
  oid?: string;
  /** Defaults to the issuer's tenant. */
  tid?: string;
  /** Display name; users default to 'Local Developer', apps have none unless given. */
  name?: string;
  /** Defaults to the audience the issuer was started with. */
  audience?: string;
  /** Seconds, or a number with a unit: '90s', '30m', '1h', '2d'. Default 1 hour. */
  expiresIn?: number | string;
  /** 'user' (default) or 'app' (client credentials / managed identity: idtyp app, sub = oid). */
  kind?: 'user' | 'app';
  /** The calling app's client id (azp). */
  appId?: string;
  /** Epoch seconds; default now. For tests that need old tokens. */
  issuedAt?: number;
  /** Seconds after issuedAt before the token is valid; default 0. */
  notBeforeIn?: number;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
}

/** Where the running issuer says who it is, for processes that print tokens. */
export interface IssuerInfo {
  issuer: string;
  openIdConfigUrl: string;
  jwksUri: string;
  audience: string;
  pid: number;
}

export const ISSUER_FILE = 'issuer.json';
export const DEFAULT_DATA_DIR = join('.devhost', 'issuer');
export const DEFAULT_AUDIENCE = 'api://local';
export const LOCAL_CLIENT_ID = '11111111-1111-4111-8111-111111111111';

export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^(-?\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`'${value}' is not a duration (seconds, or a number followed by s, m, h or d).`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** Signs an Entra-v2-shaped access token with the issuer's active key. */
export async function signWithState(
  state: IssuerState,
  issuer: string,
  defaultAudience: string,
  options: TokenOptions = {},
): Promise<string> {
  const key = activeKey(state);
  const kind = options.kind ?? 'user';
  const oid = options.oid ?? state.defaultOid;
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const name = options.name ?? (kind === 'user' ? 'Local Developer' : undefined);
  // User tokens carry a pairwise sub (not the oid); app-only tokens have sub = oid.
  const sub = kind === 'app' ? oid : createHash('sha256').update(`${oid}|${issuer}`).digest('base64url').slice(0, 43);
  const payload: Record<string, unknown> = {
    aud: options.audience ?? defaultAudience,
    iss: issuer,
    iat,
    nbf: iat + (options.notBeforeIn ?? 0),
    exp: iat + parseDuration(options.expiresIn ?? 3600),
    azp: options.appId ?? LOCAL_CLIENT_ID,
    azpacr: '0',
    idtyp: kind,
    ...(name !== undefined && { name }),
    ...(kind === 'user' && { preferred_username: 'developer@localhost' }),
    oid,
    roles: options.roles ?? [],
    sub,
    tid: options.tid ?? state.tenantId,
    uti: randomBytes(16).toString('base64url'),
    ver: '2.0',
    ...options.claims,
  };
  const jose = await loadJose();
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .sign(createPrivateKey({ key: key.privateJwk, format: 'jwk' }));
}

export async function readIssuerInfo(dataDir: string): Promise<IssuerInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, ISSUER_FILE), 'utf8')) as IssuerInfo;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Signs a token from another process than the issuer's: reads the persisted key and the
 * `issuer.json` the running issuer wrote, so the token validates against that issuer.
 */
export async function signToken(options: TokenOptions & { dataDir?: string } = {}): Promise<string> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const info = await readIssuerInfo(dataDir);
  const state = await readIssuerState(dataDir);
  if (!info || !state) {
    throw new Error(`No local issuer found in ${dataDir} (no ${ISSUER_FILE}); start the local host first.`);
  }
  return signWithState(state, info.issuer, info.audience, options);
}
