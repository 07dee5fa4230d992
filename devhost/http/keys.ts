import { randomBytes, timingSafeEqual } from 'node:crypto';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** Function and master keys, from local settings or generated for this run. */
export interface HostKeys {
  functionKey: string;
  masterKey: string;
  /** The `blobs_extension` system key: Event Grid delivers blob events to the blob webhook with it. */
  blobsExtensionKey: string;
}

export function hostKeysFrom(env: NodeJS.ProcessEnv): HostKeys {
  return {
    functionKey: env.DEVHOST_FUNCTION_KEY || randomBytes(24).toString('base64url'),
    masterKey: env.DEVHOST_MASTER_KEY || randomBytes(24).toString('base64url'),
    blobsExtensionKey: env.DEVHOST_BLOBS_EXTENSION_KEY || randomBytes(24).toString('base64url'),
  };
}

/** A system key's endpoint (`/runtime/webhooks/<extension>`) takes that system key or the master key. */
export function systemKeyAllows(systemKey: string, presented: string | undefined | null, keys: HostKeys): boolean {
  if (!presented) return false;
  return same(presented, systemKey) || same(presented, keys.masterKey);
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Function level takes the function or the master key; admin level only the master key. */
export function keyAllows(level: AuthLevel, presented: string | undefined | null, keys: HostKeys): boolean {
  if (level === 'anonymous') return true;
  if (!presented) return false;
  if (same(presented, keys.masterKey)) return true;
  return level === 'function' && same(presented, keys.functionKey);
}
