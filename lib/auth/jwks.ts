import { messageOf } from '../util/messageOf';
import { assertKeySourceUrl } from './config';
import { loadJose, type Jose } from './jose';

type LocalJwks = ReturnType<Jose['createLocalJWKSet']>;
type KeyResolver = (...args: Parameters<LocalJwks>) => ReturnType<LocalJwks>;

export interface JwksCacheOptions {
  openIdConfigUrl: string;
  fetch?: typeof globalThis.fetch;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
  /** An unknown `kid` refetches the keys at most this often (a flood of bogus kids costs one fetch). */
  refetchCooldownMs?: number;
  /** Keys are reloaded after this age even without an unknown kid (Entra rotates keys). */
  maxAgeMs?: number;
  fetchTimeoutMs?: number;
}

export interface JwksCache {
  /** A jose key resolver: finds the key for a token header, refetching once on an unknown kid. */
  getKey: KeyResolver;
}

/** Thrown when metadata or keys cannot be loaded: an outage, not a bad token. */
export class KeySourceError extends Error {
  override readonly name = 'KeySourceError';
}

async function getJson(fetchFn: typeof globalThis.fetch, url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok) throw new KeySourceError(`GET ${url} answered ${response.status}`);
  return response.json();
}

/** OpenID metadata -> `jwks_uri` -> key set, kept in memory. One cache per metadata URL. */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const cooldown = options.refetchCooldownMs ?? 30_000;
  const maxAge = options.maxAgeMs ?? 24 * 3600_000;
  const timeout = options.fetchTimeoutMs ?? 10_000;
  const failureBackoff = Math.min(cooldown, 5_000);
  let keys: LocalJwks | undefined;
  let loadedAt = 0;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;

  async function fetchKeys(): Promise<void> {
    lastAttemptAt = now();
    try {
      const metadata = await getJson(fetchFn, options.openIdConfigUrl, timeout);
      const jwksUri = (metadata as { jwks_uri?: unknown } | null)?.jwks_uri;
      if (typeof jwksUri !== 'string') throw new KeySourceError(`${options.openIdConfigUrl} has no jwks_uri`);
      assertKeySourceUrl(jwksUri, 'jwks_uri');
      const jwks = await getJson(fetchFn, jwksUri, timeout);
      if (!Array.isArray((jwks as { keys?: unknown } | null)?.keys)) throw new KeySourceError(`${jwksUri} has no keys`);
      const jose = await loadJose();
      keys = jose.createLocalJWKSet(jwks as Parameters<Jose['createLocalJWKSet']>[0]);
      loadedAt = now();
    } catch (err) {
      throw err instanceof KeySourceError ? err : new KeySourceError(messageOf(err), { cause: err });
    }
  }

  /** Concurrent callers share one fetch. */
  function reload(): Promise<void> {
    inFlight ??= fetchKeys().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const getKey: KeyResolver = async (header, token) => {
    if (!keys) {
      // Without any keys, a failed load is retried only after a short pause, not on every request.
      if (!inFlight && now() - lastAttemptAt < failureBackoff) throw new KeySourceError('keys not loaded yet');
      await reload();
    } else if (now() - loadedAt > maxAge && now() - lastAttemptAt >= cooldown) {
      // Stale keys keep working while the identity provider is unreachable.
      await reload().catch(() => undefined);
    }
    try {
      return await keys!(header, token);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
      if (inFlight) await inFlight; // someone else is already refetching: use their result
      else if (now() - lastAttemptAt >= cooldown) await reload();
      else throw err;
      return keys!(header, token);
    }
  };

  return {
    getKey,
  };
}
