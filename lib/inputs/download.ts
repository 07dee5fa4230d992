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
 */
export async function downloadInputBytes(file: InputFile, deps: DataDeps, options: DownloadOptions = {}): Promise<Uint8Array> {
  const { ref } = file;
  if (ref.kind === 'https') throw new Error(`downloadInputBytes: '${file.name}' is an https file; download it to disk`);
  try {
    const container = await containerFor(ref, deps, { recentDatastore: true });
    const bytes = await container.getBlobClient(ref.path).downloadToBuffer(0, undefined, { abortSignal: options.signal });
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return own ? bytes : new Uint8Array(bytes);
  } catch (err) {
    throw storageProblem(err, `The input file '${file.name}'`);
  }
}
