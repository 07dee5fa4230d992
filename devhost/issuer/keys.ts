import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadJose } from './jose';

export interface SigningKey {
  kid: string;
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
  createdAt: string;
}

/** What persists across restarts so tokens printed by another process keep validating. */
export interface IssuerState {
  tenantId: string;
  /** The `oid` tokens get when none is chosen: stable, so "the same caller" stays the same. */
  defaultOid: string;
  /** Oldest first; the last one signs. Older ones stay published so earlier tokens still verify. */
  keys: SigningKey[];
}

export const KEYS_FILE = 'keys.json';
const KEEP_KEYS = 2;

async function newKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk = publicKey.export({ format: 'jwk' });
  const jose = await loadJose();
  // Entra kids are opaque strings; an RFC 7638 thumbprint is stable and unique per key.
  const kid = await jose.calculateJwkThumbprint({ kty: 'RSA', n: publicJwk.n!, e: publicJwk.e! });
  return { kid, privateJwk: privateKey.export({ format: 'jwk' }), publicJwk, createdAt: new Date().toISOString() };
}

/** Written to a temp file then renamed, so a reader never sees half a file; owner-only. */
async function save(dataDir: string, state: IssuerState): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, KEYS_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function readIssuerState(dataDir: string): Promise<IssuerState | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, KEYS_FILE), 'utf8')) as IssuerState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Loads the persisted key pair, creating one on first start. */
export async function loadOrCreateIssuerState(dataDir: string): Promise<IssuerState> {
  const existing = await readIssuerState(dataDir);
  if (existing && existing.keys.length > 0) return existing;
  const state: IssuerState = { tenantId: randomUUID(), defaultOid: randomUUID(), keys: [await newKey()] };
  await save(dataDir, state);
  return state;
}

/** Adds a new signing key (the old one stays published), as Entra does when it rotates. */
export async function rotateSigningKey(dataDir: string, state: IssuerState): Promise<IssuerState> {
  const next: IssuerState = { ...state, keys: [...state.keys, await newKey()].slice(-KEEP_KEYS) };
  await save(dataDir, next);
  return next;
}

export function activeKey(state: IssuerState): SigningKey {
  const key = state.keys[state.keys.length - 1];
  if (!key) throw new Error('The local issuer has no signing key.');
  return key;
}
