import { statusOf } from '../storage/once';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { ApiError } from '../http/apiError';
import { containerFor, datastoreUri, parseOutputUri, sameService, type BlobLocation, type DataDeps } from '../inputs/resolveInput';
import { DEFAULT_OUTPUT_NAME, type OutputUri } from '../jobs/invokeRequest';
import type { JobOutputLocation } from '../jobs/types';
import { WORKSPACE_DATASTORE } from '../registry/datastores';

/**
 * Where a job writes its one output blob. Outputs go to blob datastores (as in Azure ML) or to
 * a blob URL on an account the service knows: its own, or one a registered datastore points at.
 */

export interface OutputRequest {
  jobId: string;
  /** The invoke's output URI, if it gave one. */
  outputUri?: OutputUri;
  /** The effective `outputFileName` (used for the default location and UriFolder outputs). */
  outputFileName: string;
  /** The output's name in the invoke (default `score`). */
  outputName?: string;
  /** For error targets (default `properties.outputData.<name>.uri`). */
  field?: string;
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

const inWorkspace = (path: string): JobOutputLocation => ({
  uri: datastoreUri(WORKSPACE_DATASTORE, path),
  datastore: WORKSPACE_DATASTORE,
  path,
});

/** Without an output URI: `azureml://datastores/workspaceblobstore/paths/azureml/<jobId>/<name>/<outputFileName>`. */
export const defaultOutputLocation = (jobId: string, outputFileName: string, outputName = DEFAULT_OUTPUT_NAME): JobOutputLocation =>
  inWorkspace(`azureml/${jobId}/${outputName}/${outputFileName}`);

/** The folder the job's logs are written to (logs/job_progress_overview.txt, logs/user/error.txt). */
export const logsLocation = (jobId: string): JobOutputLocation => inWorkspace(`azureml/${jobId}/logs/`);

/** A blob URL location as a datastore location when a datastore covers its container. */
async function knownLocation(location: BlobLocation & { kind: 'blob' }, deps: DataDeps, uri: string, field: string): Promise<JobOutputLocation> {
  const datastores = await deps.registry.datastores.list();
  const own = sameService(location.serviceUri, deps.blob.url);
  const sameAccount = datastores.filter((ds) => (ds.isWorkspaceStore ? own : sameService(ds.blobServiceUri, location.serviceUri)));
  const covering = sameAccount.find((ds) => ds.containerName === location.container);
  if (covering) return { uri: datastoreUri(covering.name, location.path), datastore: covering.name, path: location.path };
  if (!own && sameAccount.length === 0) {
    throw new ApiError(
      400,
      'InvalidOutput',
      `'${uri}' is on a storage account the service does not know: write to a datastore (register one for that account) or to the service's own account.`,
      field,
    );
  }
  const url = `${location.serviceUri}/${location.container}/${encodePath(location.path)}`;
  return { uri: url, url };
}

/**
 * The job's output blob: the invoke's URI (a UriFolder output becomes `<folder>/<outputFileName>`)
 * or the default location. 400 naming the field for unusable URIs or missing datastores.
 */
export async function resolveOutputLocation(request: OutputRequest, deps: DataDeps): Promise<JobOutputLocation> {
  const name = request.outputName ?? DEFAULT_OUTPUT_NAME;
  if (!request.outputUri) return defaultOutputLocation(request.jobId, request.outputFileName, name);
  const { type, uri } = request.outputUri;
  const field = request.field ?? `properties.outputData.${name}.uri`;
  const parsed = await parseOutputUri(uri, deps, field);
  let path = parsed.path;
  if (type === 'UriFolder') {
    path = path === '' ? request.outputFileName : `${path.replace(/\/+$/, '')}/${request.outputFileName}`;
  } else if (path === '' || path.endsWith('/')) {
    const hint = `or use UriFolder to write ${request.outputFileName} in it`;
    throw new ApiError(400, 'InvalidOutput', `'${uri}' names a folder: a UriFile output needs a file path (${hint}).`, field);
  }
  if (parsed.kind === 'datastore') return { uri: datastoreUri(parsed.datastore, path), datastore: parsed.datastore, path };
  return knownLocation({ ...parsed, path }, deps, uri, field);
}

/** The location as a blob location (a URL location is parsed again: it was validated when resolved). */
async function blobLocationOf(location: JobOutputLocation, deps: DataDeps): Promise<BlobLocation> {
  const { datastore, path } = location;
  if (datastore !== undefined && path !== undefined) return { kind: 'datastore', datastore, path };
  if (location.url) return parseOutputUri(location.url, deps, 'output');
  throw new Error(`Output location '${location.uri}' has neither a datastore path nor a URL.`);
}

/** The block blob the output is written to (its container may not exist yet). */
export async function outputBlobClient(location: JobOutputLocation, deps: DataDeps): Promise<BlockBlobClient> {
  return (await outputContainer(location, deps)).blob;
}

/** The output's container and blob path, e.g. to create the container or write next to the blob. */
export async function outputContainer(location: JobOutputLocation, deps: DataDeps): Promise<{ container: ContainerClient; path: string; blob: BlockBlobClient }> {
  const blob = await blobLocationOf(location, deps);
  const container = await containerFor(blob, deps);
  return { container, path: blob.path, blob: container.getBlockBlobClient(blob.path) };
}

/** Whether the output blob exists already (the invoke then answers 409 OutputAlreadyExists). */
export async function outputExists(location: JobOutputLocation, deps: DataDeps): Promise<boolean> {
  const client = await outputBlobClient(location, deps);
  try {
    return await client.exists();
  } catch (err) {
    const status = statusOf(err);
    if (status === 403 || status === 401) {
      throw new ApiError(
        400,
        'OutputNotAccessible',
        `The output '${location.uri}' cannot be reached with the service's identity (HTTP ${status}): grant it "Storage Blob Data Contributor" there.`,
      );
    }
    throw err;
  }
}

/** The 409 the invoke answers when the output exists: outputs are written once, never overwritten. */
export const outputAlreadyExists = (location: JobOutputLocation, field = 'properties.outputData'): ApiError =>
  new ApiError(
    409,
    'OutputAlreadyExists',
    `The output '${location.uri}' already exists; outputs are never overwritten. Choose another output path or file name, or delete it.`,
    field,
  );
