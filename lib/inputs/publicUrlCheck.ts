import { isIP } from 'node:net';
import { ApiError } from '../http/apiError';
import { strictAddressPolicy, type AddressPolicy } from './ipPolicy';
import { blockedAnswer, checkUrl, SafeFetchError, systemResolver, type Resolver } from './safeFetch';
import { fatal } from '../util/fatal';

/**
 * The invoke-time check of a public `https://` input: refuses, before any job exists, a URL whose
 * host is (or resolves to) an address the download could never use. It only looks the name up; it
 * never connects. It does not replace the download-time check in safeFetch, which runs on the
 * address actually connected to (DNS can answer differently later) and on every redirect: this one
 * gives the caller a 400 now instead of a failed job later.
 */

export interface PublicUrlCheckOptions {
  /** Default strictAddressPolicy (the one safeFetch uses); tests may pass testOnlyAddressPolicy. */
  policy?: AddressPolicy;
  /** Default: the system resolver safeFetch uses. */
  resolve?: Resolver;
  /** The request field the URL came from (the error's `target`). */
  field?: string;
  /** A slow resolver must not hold the invoke; default 5 s. */
  lookupTimeoutMs?: number;
}

/** Resolver answers that mean the name does not exist (as opposed to a resolver outage). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

const notAllowed = (message: string, field?: string) => fatal(new ApiError(400, 'InputNotAllowed', message, field));

/** The resolver's answer, or undefined when it failed for a reason other than "no such name". */
async function lookup(host: string, resolve: Resolver, timeoutMs: number): Promise<Array<{ address: string }> | 'missing' | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((done) => {
    timer = setTimeout(() => done(undefined), timeoutMs);
  });
  try {
    const addresses = await Promise.race([resolve(host), timeout]);
    if (addresses === undefined) return undefined;
    return addresses.length === 0 ? 'missing' : addresses;
  } catch (err) {
    return NO_SUCH_NAME.has((err as NodeJS.ErrnoException).code ?? '') ? 'missing' : undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Returns the parsed URL when it may be downloaded; throws ApiError 400 otherwise:
 * `InputNotAllowed` (not https, or a host that is or resolves to a non-public address, in any
 * spelling the WHATWG parser canonicalises) or `InvalidInput` (not a URL, credentials, a name
 * that does not exist). A resolver outage or timeout does not refuse: the download checks again.
 */
export async function checkPublicUrl(input: string, options: PublicUrlCheckOptions = {}): Promise<URL> {
  const policy = options.policy ?? strictAddressPolicy;
  const field = options.field;
  let url: URL;
  try {
    url = checkUrl(input, policy); // scheme, credentials and IP literals: the same code the download runs
  } catch (err) {
    if (!(err instanceof SafeFetchError)) throw err;
    if (err.code === 'InvalidUrl') throw new ApiError(400, 'InvalidInput', err.message, field);
    throw notAllowed(err.message, field);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return url; // checkUrl judged the literal

  const answer = await lookup(host, options.resolve ?? systemResolver, options.lookupTimeoutMs ?? 5_000);
  if (answer === 'missing') {
    throw new ApiError(400, 'InvalidInput', `'${url.href}' cannot be downloaded: the host name '${host}' does not resolve.`, field);
  }
  const port = Number(url.port || 443);
  // As at download time, one non-public answer refuses the name.
  const refused = blockedAnswer(url, host, answer ?? [], port, policy);
  if (refused) throw notAllowed(refused.message, field);
  return url;
}
