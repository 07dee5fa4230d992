import type { BlockBlobClient } from '@azure/storage-blob';
import parseRange from 'range-parser';
import { ApiError } from '../http/apiError';

// range-parser (the expressjs package) rather than a hand-written parser: the RFC's forms and
// edge cases (suffix ranges, clamping to the size, malformed headers) are its whole job.

/**
 * One byte range of a `Range` header (range-parser: RFC 9110 forms `a-b`, `a-`, `-n`), or
 * undefined for none; a malformed header or several ranges are ignored (the whole file), as the
 * RFC allows.
 */
export function requestedRange(header: string | null, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}

/**
 * `attachment` with the file name (RFC 6266). Header values must be ASCII on the way out (the
 * Functions library refuses characters past U+00FF with a bare 500, hosts refuse non-ASCII and
 * DEL), while an output file name may be any text: a plain-ASCII stand-in in `filename`, the exact
 * name in `filename*` (RFC 8187 UTF-8), as browsers and curl -J read it. Hand-written: the
 * `content-disposition` package is only a transitive dependency here.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === fileName) return `attachment; filename="${fileName}"`;
  const exact = encodeURIComponent(wellFormed(fileName)).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** The output's URI as a header value: percent-encoded (paths in URIs are decoded once when read back). */
export const uriHeader = (uri: string): string => encodeURI(wellFormed(uri));

/** Lone surrogates (which a JSON string may hold) as U+FFFD: the URI encoders throw on them. */
const wellFormed = (text: string): string => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** What the output route answers: plain data, shaped like the Functions host's response init. */
export interface ServedOutput {
  status: number;
  headers: Record<string, string>;
  body?: Buffer;
  jsonBody?: unknown;
}

export interface ServeOptions {
  /** The request's `Range` header. */
  range: string | null;
  /** The `content-disposition` file name. */
  fileName: string;
  /** The output's URI, shown in `x-output-uri` and in the too-large message. */
  uri: string;
  /** Most bytes answered per request (the response is held in memory). */
  maxBytes: number;
}

/**
 * The output blob, or the one byte range asked for (206), as CSV: 416 for a range past the end,
 * 422 OutputTooLarge past `maxBytes` (a big output is read in ranges, or from storage directly).
 */
export async function serveOutputRange(
  blob: Pick<BlockBlobClient, 'getProperties' | 'downloadToBuffer'>,
  options: ServeOptions,
): Promise<ServedOutput> {
  const { maxBytes, uri } = options;
  const size = (await blob.getProperties()).contentLength ?? 0;
  const headers = { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': contentDisposition(options.fileName), 'x-output-uri': uriHeader(uri), 'accept-ranges': 'bytes' };
  const range = requestedRange(options.range, size);
  if (range === 'unsatisfiable') {
    return { status: 416, headers: { 'content-range': `bytes */${size}` }, jsonBody: { error: { code: 'RangeNotSatisfiable', message: `The output has ${size} bytes.` } } };
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  if (end - start + 1 > maxBytes) {
    throw new ApiError(
      422,
      'OutputTooLarge',
      `The output is ${size} bytes; this route serves at most ${maxBytes} per request. ` +
        `Ask for byte ranges (Range: bytes=0-${maxBytes - 1}, ...) or read ${uri} with Azure Storage tools.`,
      undefined,
      undefined,
      // The README tells users to read the blob named here.
      { 'x-output-uri': uriHeader(uri) },
    );
  }
  const data = size === 0 ? Buffer.alloc(0) : await blob.downloadToBuffer(start, end - start + 1);
  if (!range) return { status: 200, body: data, headers };
  return { status: 206, body: data, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${size}` } };
}
