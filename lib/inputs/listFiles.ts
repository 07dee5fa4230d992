import { statusOf } from '../storage/once';
import type { ContainerClient } from '@azure/storage-blob';
import { ApiError } from '../http/apiError';
import { containerFor } from '../locations/datastores';
import { storageProblem } from '../locations/storageErrors';
import type { BlobLocation } from '../locations/uri';
import { resolveJobInput, type DataDeps } from './resolveInput';
import type { InputFile, JobDataInput } from './types';
import { fatal } from '../util/fatal';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a file name relative to the input folder cannot be used as a local path under a download
 * folder (undefined when it can). Names come from blob listings, so anything blob storage allows
 * but a file system would read as "somewhere else" is refused.
 */
export function relativeNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > 1024) return 'it is longer than 1024 characters';
  if (CONTROL.test(name)) return 'it contains control characters';
  if (name.includes('\\')) return "it contains '\\'";
  if (name.startsWith('/')) return "it starts with '/'";
  if (name.split('/').some((s) => s === '' || s === '.' || s === '..')) return "it has an empty, '.' or '..' segment";
  return undefined;
}

/** Spark/Hadoop markers (`_SUCCESS`, `_temporary/`) and hidden files (`.DS_Store`, `.git/`) are not data. */
const isMarkerOrHidden = (name: string): boolean => name.split('/').some((s) => s.startsWith('.') || s.startsWith('_'));

const byName = (a: InputFile, b: InputFile): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function unsafeName(name: string, problem: string, shown: string): ApiError {
  return fatal(new ApiError(400, 'InvalidInputPath', `The input ${shown} has a file named '${name}' that cannot be downloaded: ${problem}. Rename or remove it.`));
}

/**
 * A folder's files in blob-name order (which is the order by relative name), stopping once
 * `enough` files are found: a job starts scoring after one listing page instead of all of them.
 */
async function listFolder(container: ContainerClient, location: BlobLocation, shown: string, enough = Infinity): Promise<{ files: InputFile[]; complete: boolean }> {
  const prefix = location.path === '' || location.path.endsWith('/') ? location.path : `${location.path}/`;
  const files: InputFile[] = [];
  let skipped = 0;
  let complete = true;
  try {
    // Moderate pages: a storage emulator answers other requests (the first mini-batches) between them.
    // A first page no bigger than needed (a few to spare for markers): each item costs about a
    // millisecond, mostly the SDK parsing the XML.
    const pageSize = Number.isFinite(enough) ? Math.min(5000, enough + 16) : 1000;
    pages: for await (const page of container.listBlobsFlat({ prefix, includeMetadata: true }).byPage({ maxPageSize: pageSize })) {
      for (const item of page.segment.blobItems) {
        // Folder placeholders (ADLS Gen2 directories, tools that write "dir/" blobs) are not files.
        if (item.name.endsWith('/') || item.metadata?.['hdi_isfolder'] === 'true') continue;
        const name = item.name.slice(prefix.length);
        if (isMarkerOrHidden(name)) {
          skipped++;
          continue;
        }
        const problem = relativeNameProblem(name);
        if (problem) throw unsafeName(name, problem, shown);
        files.push({ name, ref: { ...location, path: item.name }, size: item.properties.contentLength ?? 0 });
      }
      if (files.length >= enough && page.continuationToken) {
        complete = false;
        break pages;
      }
    }
  } catch (err) {
    throw storageProblem(err, `The input folder ${shown}`);
  }
  if (files.length === 0 && !skipped && location.path !== '' && !location.path.endsWith('/')) {
    // A file given as a folder: "has no files" read as if the file were missing.
    const isFile = await container.getBlobClient(location.path).exists().catch(() => false);
    if (isFile) throw new ApiError(400, 'InvalidInput', `The input ${shown} is a file, not a folder: use JobInputType UriFile.`);
  }
  if (files.length === 0) {
    const why = skipped ? ` (${skipped} skipped: names starting with '.' or '_' are markers or hidden files)` : '';
    throw new ApiError(400, 'InputEmpty', `The input folder ${shown} has no files${why}.`);
  }
  // The service lists in name order already; sorting keeps the order whatever a store returns.
  files.sort(byName);
  return { files: complete ? files : files.slice(0, enough), complete };
}

async function listOneBlob(container: ContainerClient, location: BlobLocation, shown: string): Promise<InputFile> {
  const name = location.path.slice(location.path.lastIndexOf('/') + 1);
  const problem = relativeNameProblem(name);
  if (problem) throw unsafeName(name, problem, shown);
  try {
    const props = await container.getBlobClient(location.path).getProperties();
    return { name, ref: location, size: props.contentLength ?? 0 };
  } catch (err) {
    if (statusOf(err) === 404) {
      const page = await container
        .listBlobsFlat({ prefix: `${location.path}/` })
        .byPage({ maxPageSize: 1 })
        .next()
        .catch(() => undefined);
      if (page?.value?.segment.blobItems.length) {
        throw new ApiError(400, 'InvalidInput', `The input ${shown} is a folder, not a file: use JobInputType UriFolder.`);
      }
    }
    throw storageProblem(err, `The input file ${shown}`);
  }
}

/** The last segment of a URL's path, when it makes a usable file name. */
function fileNameOfUrl(url: string): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  let name = '';
  try {
    name = decodeURIComponent(last);
  } catch {
    // not valid percent-encoding: use the fallback
  }
  return name && !name.includes('/') && !relativeNameProblem(name) ? name : 'download';
}

/**
 * The files of a job's data input, in a stable order: a UriFolder lists recursively, sorted by
 * name relative to the folder, without markers and hidden files; a UriFile is that one blob,
 * which must exist; a public https file is listed without a request. Errors carry the codes
 * InputNotFound, InputNotAccessible, InputEmpty, InvalidInput and InvalidInputPath.
 */
export async function listInputFiles(input: JobDataInput, deps: DataDeps): Promise<InputFile[]> {
  return (await listFirstInputFiles(input, deps, Infinity)).files;
}

/**
 * The first `enough` files of a job's data input (all of them when there are fewer), and whether
 * that is all: the same order as listInputFiles, so the rest can be planned later.
 */
export async function listFirstInputFiles(input: JobDataInput, deps: DataDeps, enough: number): Promise<{ files: InputFile[]; complete: boolean }> {
  const resolved = await resolveJobInput(input, deps);
  const { location } = resolved;
  const shown = resolved.uri === resolved.resolvedUri ? `'${resolved.uri}'` : `'${resolved.uri}' (${resolved.resolvedUri})`;
  if (location.kind === 'https') return { files: [{ name: fileNameOfUrl(location.url), ref: location }], complete: true };
  // The datastore was read to resolve the input: not again.
  const container = await containerFor(location, deps, resolved.store ? { store: resolved.store } : {});
  if (resolved.type === 'UriFile') return { files: [await listOneBlob(container, location, shown)], complete: true };
  return listFolder(container, location, shown, enough);
}
