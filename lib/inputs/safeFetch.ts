import { lookup as dnsLookup } from 'node:dns/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { strictAddressPolicy, type AddressPolicy } from './ipPolicy';

/**
 * Downloads a public https:// file named by a user without letting that user reach private
 * networks (SSRF). Each address is checked when the socket is about to connect to it (a custom
 * `lookup`), so the checked address is the connected one: a DNS answer cannot change in between.
 * Redirects are followed by hand and each hop is checked again.
 */

export type SafeFetchErrorCode =
  | 'InvalidUrl'
  | 'UnsupportedScheme'
  | 'BlockedAddress'
  | 'TooManyRedirects'
  | 'TooLarge'
  | 'Timeout'
  | 'HttpStatus'
  | 'NetworkError';

export class SafeFetchError extends Error {
  override readonly name = 'SafeFetchError';
  constructor(
    readonly code: SafeFetchErrorCode,
    message: string,
    readonly url: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Resolves a host name to every address it has (injectable for tests). */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface SafeFetchOptions {
  /** Default 1 GiB. */
  maxBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** Until the TLS connection is up, per hop. Default 10 s. */
  connectTimeoutMs?: number;
  /** The whole download, redirects and body included. Default 15 min. */
  totalTimeoutMs?: number;
  /** Extra trusted CA certificates (a private CA; tests use a self-signed one). */
  ca?: string | Buffer | Array<string | Buffer>;
  resolve?: Resolver;
  /** Default strictAddressPolicy; tests may pass testOnlyAddressPolicy. */
  policy?: AddressPolicy;
  signal?: AbortSignal;
}

export interface SafeResponse {
  /** The URL finally answered, after redirects. */
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  /** Stops with a SafeFetchError when the size or time limit is crossed. */
  body: Readable;
}

export const DEFAULT_MAX_BYTES = 1024 ** 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The system's resolver (getaddrinfo: hosts file, then DNS), every address of the name. */
export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function asSafeFetchError(err: Error, url: string): SafeFetchError {
  return err instanceof SafeFetchError ? err : new SafeFetchError('NetworkError', `${url}: ${err.message}`, url);
}

/**
 * Parses and checks a URL (a redirect's Location relative to `base`) before any socket exists:
 * scheme, credentials, literal IP addresses. Also used at invoke time (publicUrlCheck.ts).
 */
export function checkUrl(text: string, policy: AddressPolicy, base?: URL): URL {
  let url: URL;
  try {
    // The WHATWG parser canonicalises 2130706433, 0x7f.1, 017700000001 and the like to 127.0.0.1.
    url = new URL(text, base);
  } catch {
    throw new SafeFetchError('InvalidUrl', `'${text}' is not a valid URL.`, text);
  }
  if (url.protocol !== 'https:') {
    const message = `Only https:// URLs can be downloaded, not ${url.protocol}//.`;
    throw new SafeFetchError('UnsupportedScheme', message, url.href);
  }
  if (url.username || url.password) {
    throw new SafeFetchError('InvalidUrl', 'URLs with a user name or password are not accepted.', url.href);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    // Node connects to IP literals without calling `lookup`, so they are checked here.
    const verdict = policy.check(host, Number(url.port || 443));
    if (!verdict.allowed) throw blocked(url, verdict.reason);
  }
  return url;
}

function blocked(url: URL, reason: string): SafeFetchError {
  const message = `Refused to download ${url.href}: ${reason}, not a public address.`;
  return new SafeFetchError('BlockedAddress', message, url.href);
}

/**
 * The refusal for a name when any of its addresses is not allowed (one bad address refuses the
 * name: a host that mixes public and private answers is suspect), else undefined.
 */
export function blockedAnswer(url: URL, hostname: string, addresses: readonly { address: string }[], port: number, policy: AddressPolicy): SafeFetchError | undefined {
  for (const { address } of addresses) {
    const verdict = policy.check(address, port);
    if (!verdict.allowed) return blocked(url, `${hostname} resolves to ${verdict.reason}`);
  }
  return undefined;
}

/**
 * An https agent whose every connection passes the address policy at connect time (the same
 * `lookup` check as safeFetch): for the storage clients of user datastores, so the app's identity
 * token is never sent to a name that resolves to a private, loopback or link-local address.
 */
export function guardedAgent(policy: AddressPolicy = strictAddressPolicy, resolve: Resolver = systemResolver): Agent {
  // An agent's options reach tls.connect for every socket it opens, `lookup` included. (IP
  // literals skip lookup: the storage clients only get Azure blob host names, checked before.)
  const lookup: LookupFunction = (hostname, options, callback) =>
    guardedLookup(new URL(`https://${hostname}/`), 443, resolve, policy)(hostname, options, callback);
  return new Agent({ keepAlive: true, lookup });
}

/** A `lookup` that refuses the connection when any address of the name is not allowed. */
function guardedLookup(url: URL, port: number, resolve: Resolver, policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = blockedAnswer(url, hostname, addresses, port, policy);
        if (refused) return callback(refused, '');
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = addresses.filter((a) => family === undefined || a.family === family);
        const first = usable[0];
        if (!first) {
          return callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), '');
        }
        if (options.all) return callback(null, usable);
        return callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

/** Counts bytes and fails past the limit. */
function sizeLimit(maxBytes: number, url: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) done(new SafeFetchError('TooLarge', `${url} is larger than ${maxBytes} bytes.`, url));
      else done(null, chunk);
    },
  });
}

/** The response body behind the size limit; the total time limit keeps running until it closes. */
function limitedBody(
  res: IncomingMessage,
  url: string,
  maxBytes: number,
  abort: AbortSignal,
  closed: () => void,
): Readable {
  const body = sizeLimit(maxBytes, url);
  res.on('error', (err) => body.destroy(asSafeFetchError(err, url)));
  res.pipe(body);
  const onAbort = () => body.destroy(abort.reason as Error);
  abort.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => {
    res.destroy(); // read to the end, stopped by the consumer or over the limit: free the socket
    abort.removeEventListener('abort', onAbort);
    closed();
  });
  return body;
}

interface Hop {
  url: URL;
  options: SafeFetchOptions;
  resolve: Resolver;
  policy: AddressPolicy;
  abort: AbortSignal;
}

/** One GET, answered with the response head (the body is still unread). */
function get({ url, options, resolve, policy, abort }: Hop): Promise<IncomingMessage> {
  return new Promise((done, fail) => {
    const port = Number(url.port || 443);
    const req = request({
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: { 'accept-encoding': 'identity', 'user-agent': 'batch-endpoints-functions' },
      agent: false,
      lookup: guardedLookup(url, port, resolve, policy),
      ...(options.ca !== undefined && { ca: options.ca }),
    });
    const connectMs = options.connectTimeoutMs ?? 10_000;
    const connectTimer = setTimeout(() => {
      req.destroy(new SafeFetchError('Timeout', `No connection to ${url.host} within ${connectMs} ms.`, url.href));
    }, connectMs);
    const onAbort = () => req.destroy(abort.reason as Error);
    abort.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(connectTimer);
      abort.removeEventListener('abort', onAbort);
    };
    req.on('socket', (socket) => socket.once('secureConnect', () => clearTimeout(connectTimer)));
    req.on('response', (res) => {
      settle();
      done(res);
    });
    req.on('error', (err) => {
      settle();
      fail(asSafeFetchError(err, url.href));
    });
    req.end();
  });
}

export async function safeFetch(input: string, options: SafeFetchOptions = {}): Promise<SafeResponse> {
  const policy = options.policy ?? strictAddressPolicy;
  const resolve = options.resolve ?? systemResolver;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? 5;
  const totalMs = options.totalTimeoutMs ?? 15 * 60_000;

  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new SafeFetchError('Timeout', `${input} was not downloaded within ${totalMs} ms.`, input));
  }, totalMs);
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const finish = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  };
  if (options.signal?.aborted) onOuterAbort();

  try {
    let url = checkUrl(input, policy);
    for (let hop = 0; ; hop++) {
      controller.signal.throwIfAborted();
      const res = await get({ url, options, resolve, policy, abort: controller.signal });
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode ?? 0) && location) {
        res.destroy();
        if (hop >= maxRedirects) {
          const message = `${input} redirected more than ${maxRedirects} times.`;
          throw new SafeFetchError('TooManyRedirects', message, url.href);
        }
        url = checkUrl(location, policy, url);
        continue;
      }
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.destroy();
        throw new SafeFetchError('HttpStatus', `${url.href} answered HTTP ${status}.`, url.href, status);
      }
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > maxBytes) {
        res.destroy();
        const message = `${url.href} is ${length} bytes, more than the ${maxBytes} allowed.`;
        throw new SafeFetchError('TooLarge', message, url.href);
      }
      const body = limitedBody(res, url.href, maxBytes, controller.signal, finish);
      return { url: url.href, status, headers: res.headers, body };
    }
  } catch (err) {
    finish();
    throw err;
  }
}
