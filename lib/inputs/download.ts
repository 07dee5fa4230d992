import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../http/apiError';
import { containerFor } from '../locations/datastores';
import { storageProblem } from '../locations/storageErrors';
import { relativeNameProblem } from './listFiles';
import type { DataDeps } from './resolveInput';
import type { InputFile } from './types';
import { safeFetch, SafeFetchError } from './safeFetch';
import { fatal } from '../util/fatal';

/** Where a file goes under `destDir`; throws when its name would land anywhere else. */
export function localPathFor(name: string, destDir: string): string {
  const problem = relativeNameProblem(name);
  const root = resolve(destDir);
  const target = resolve(root, ...name.split('/'));
  const rel = relative(root, target);
  // The name check alone should suffice; the resolved path is checked too in case a platform reads names differently.
  if (problem || rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw fatal(new ApiError(400, 'InvalidInputPath', `The input file name '${name}' cannot be used as a local path: ${problem ?? 'it leaves the download folder'}.`));
  }
  return target;
}

export interface DownloadOptions {
  signal?: AbortSignal;
}

/**
 * Downloads one input file to `<destDir>/<file.name>` (sub-folders created) and returns the local
 * path. Blobs come through the app's clients or its identity; public https files through
 * safeFetch (no private addresses, size and time limits from `deps.fetch`). A failed download
 * leaves no partial file.
 */
export async function downloadInputFile(file: InputFile, destDir: string, deps: DataDeps, options: DownloadOptions = {}): Promise<string> {
  const target = localPathFor(file.name, destDir);
  await mkdir(dirname(target), { recursive: true });
  const { ref } = file;
  try {
    if (ref.kind === 'https') {
      const res = await safeFetch(ref.url, { ...deps.fetch, ...(options.signal ? { signal: options.signal } : {}) });
      await pipeline(res.body, createWriteStream(target));
    } else {
      const container = await containerFor(ref, deps, { recentDatastore: true });
      await container.getBlobClient(ref.path).downloadToFile(target, 0, undefined, { abortSignal: options.signal });
    }
    return target;
  } catch (err) {
    await rm(target, { force: true });
    if (err instanceof SafeFetchError) {
      throw new ApiError(400, 'InputDownloadFailed', `The input file '${file.name}' could not be downloaded: ${err.message}`);
    }
    throw storageProblem(err, `The input file '${file.name}'`);
  }
}

/**
 * Downloads one blob input file into memory, as bytes with an ArrayBuffer of their own (so they
 * can be transferred to a scoring worker). For small files whose scorer does not need a path:
 * saves writing the file and reading it back. Public https files are not fetched this way.
 * One GET (the SDK's downloadToBuffer first asks for the size with a HEAD: a third of a no-code
 * mini-batch's storage requests); the body is read into one buffer of its Content-Length, and a
 * body that breaks off is resumed from where it broke, pinned to the first response's ETag.
 */
export async function downloadInputBytes(file: InputFile, deps: DataDeps, options: DownloadOptions = {}): Promise<Uint8Array> {
  const { ref } = file;
  if (ref.kind === 'https') throw new Error(`downloadInputBytes: '${file.name}' is an https file; download it to disk`);
  try {
    const container = await containerFor(ref, deps, { recentDatastore: true });
    const response = await container.getBlobClient(ref.path).download(0, undefined, { abortSignal: options.signal, maxRetryRequests: 5 });
    return await readBody(response.readableStreamBody, response.contentLength, file.name);
  } catch (err) {
    throw storageProblem(err, `The input file '${file.name}'`);
  }
}

/** A download's body as bytes: into one buffer of `length` bytes when it is known. */
async function readBody(body: NodeJS.ReadableStream | undefined, length: number | undefined, name: string): Promise<Uint8Array> {
  if (!body) throw new Error(`the download of '${name}' has no body`);
  if (length === undefined) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for await (const chunk of body) {
    const piece = chunk as Buffer;
    if (at + piece.length > length) throw new Error(`'${name}' is longer than its Content-Length (${length} bytes)`);
    bytes.set(piece, at);
    at += piece.length;
  }
  if (at !== length) throw new Error(`'${name}' ended after ${at} of its ${length} bytes`);
  return bytes;
}
