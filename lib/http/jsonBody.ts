import { messageOf } from '../util/messageOf';
import { ApiError } from './apiError';

/** What the reader needs from a request; `HttpRequest` from `@azure/functions` fits (lib/ does not import it). */
export interface JsonBodySource {
  headers: { get(name: string): string | null };
  /** A web ReadableStream (as HttpRequest has) is async-iterable; chunks are bytes. */
  body: AsyncIterable<Uint8Array | string> | null;
}

export interface ReadJsonOptions {
  /** Largest body accepted, in bytes (default 1 MiB). */
  maxBytes?: number;
  /** An empty body is an error (default) or `undefined`. */
  required?: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

// Keys that reach Object.prototype (or a constructor's) when a parsed body is later merged or
// spread; refusing them at parse time means no code path downstream has to remember.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const tooLarge = (maxBytes: number): ApiError =>
  new ApiError(413, 'PayloadTooLarge', `The request body is larger than ${maxBytes} bytes.`);

/** Reads the stream but stops (leaving the loop cancels it) once past the limit: a huge body is never buffered. */
async function readLimited(stream: AsyncIterable<Uint8Array | string> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const value of stream) {
    const chunk = typeof value === 'string' ? Buffer.from(value) : value;
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON request body safely: size-limited, UTF-8, and without prototype-pollution keys.
 * The Content-Type is not checked on purpose: `curl -d` sends form-urlencoded and some clients
 * send text/plain, yet the body is JSON all the same; a body that does not parse is the error.
 */
export async function readJsonBody(request: JsonBodySource, options: ReadJsonOptions = {}): Promise<unknown> {
  const { maxBytes = DEFAULT_MAX_BODY_BYTES, required = true } = options;
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);

  const bytes = await readLimited(request.body, maxBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // also drops a UTF-8 BOM
  } catch {
    throw new ApiError(400, 'InvalidJson', 'The request body is not valid UTF-8 text.');
  }
  if (text.trim() === '') {
    if (required) throw new ApiError(400, 'MissingBody', 'The request needs a JSON body.');
    return undefined;
  }
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new ApiError(
          400,
          'ForbiddenJsonKey',
          `The request body contains the key '${key}', which is not allowed anywhere in a body.`,
        );
      }
      return value;
    }) as unknown;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'InvalidJson', `The request body is not valid JSON: ${messageOf(err)}`);
  }
}
