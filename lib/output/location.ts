import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { ApiError } from '../http/apiError';
import { checkOwnAccountContainer, containerFor, existingDatastore, type KnownDatastore, type LocationDeps } from '../locations/datastores';
import { outputAccessProblem } from '../locations/storageErrors';
import { datastoreUri, invalidInput, parseLocationUri, sameService, type BlobLocation } from '../locations/uri';
import { WORKSPACE_DATASTORE } from '../registry/datastores';

/**
 * Where a job writes its one output blob. Outputs go to blob datastores (as in Azure ML) or to
 * a blob URL on an account the service knows: its own, or one a registered datastore points at.
 */

/** Where an invoke writes its output, when it says. */
export interface OutputUri {
  type: 'UriFile' | 'UriFolder';
  uri: string;
}

/** The output's name when the invoke names none. */
export const DEFAULT_OUTPUT_NAME = 'score';

/** Where the job's output blob goes: a datastore path (workspaceblobstore by default) or a blob URL. */
export interface OutputLocation {
  /** The URI shown to users: azureml://datastores/<ds>/paths/<p> or an https blob URL. */
  uri: string;
  datastore?: string;
  /** Blob path within the datastore's container (when `datastore` is set). */
  path?: string;
  /** Full blob URL (when no datastore applies). */
  url?: string;
}

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

const inWorkspace = (path: string): OutputLocation => ({
  uri: datastoreUri(WORKSPACE_DATASTORE, path),
  datastore: WORKSPACE_DATASTORE,
  path,
});

/** Without an output URI: `azureml://datastores/workspaceblobstore/paths/azureml/<jobId>/<name>/<outputFileName>`. */
export const defaultOutputLocation = (jobId: string, outputFileName: string, outputName = DEFAULT_OUTPUT_NAME): OutputLocation =>
  inWorkspace(`azureml/${jobId}/${outputName}/${outputFileName}`);

/** The folder the job's logs are written to (logs/job_progress_overview.txt, logs/user/error.txt). */
export const logsLocation = (jobId: string): OutputLocation => inWorkspace(`azureml/${jobId}/logs/`);

/** An output URI as a blob location: a datastore path (that exists) or a blob URL, with the datastores read for it. */
type ParsedOutput =
  | { location: Extract<BlobLocation, { kind: 'datastore' }>; store: KnownDatastore }
  | { location: Extract<BlobLocation, { kind: 'blob' }>; datastores?: KnownDatastore[] };

/**
 * Parses an output URI: a datastore path or an Azure blob URL (public https and data assets
 * are not places to write). 400 naming `field` otherwise; the datastore must exist. What the
 * registry gave (the datastore, or the list an own-account URL is checked against) is returned for reuse.
 */
async function parseOutputUri(uri: string, deps: LocationDeps, field: string): Promise<ParsedOutput> {
  const parsed = parseLocationUri(uri, deps.blob, field);
  if (parsed.kind === 'datastore') return existingDatastore(parsed, deps, field);
  if (parsed.kind === 'blob') {
    // Only the app's own account is checked against the datastores (its other containers are internal).
    if (!sameService(parsed.serviceUri, deps.blob.url)) return { location: parsed };
    const datastores = await deps.registry.datastores.list();
    await checkOwnAccountContainer(parsed, deps, field, datastores);
    return { location: parsed, datastores };
  }
  throw invalidInput(field, `'${uri}' cannot receive an output: use azureml://datastores/<datastore>/paths/<path> or a blob URL on an Azure storage account.`);
}

/** A blob URL location as a datastore location when a datastore covers its container. */
async function knownLocation(
  location: BlobLocation & { kind: 'blob' },
  listed: KnownDatastore[] | undefined,
  deps: LocationDeps,
  uri: string,
  field: string,
): Promise<OutputLocation> {
  const datastores = listed ?? (await deps.registry.datastores.list());
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
export async function resolveOutputLocation(request: OutputRequest, deps: LocationDeps): Promise<OutputLocation> {
  const name = request.outputName ?? DEFAULT_OUTPUT_NAME;
  if (!request.outputUri) return defaultOutputLocation(request.jobId, request.outputFileName, name);
  const { type, uri } = request.outputUri;
  const field = request.field ?? `properties.outputData.${name}.uri`;
  const parsed = await parseOutputUri(uri, deps, field);
  let path = parsed.location.path;
  if (type === 'UriFolder') {
    path = path === '' ? request.outputFileName : `${path.replace(/\/+$/, '')}/${request.outputFileName}`;
  } else if (path === '' || path.endsWith('/')) {
    const hint = `or use UriFolder to write ${request.outputFileName} in it`;
    throw new ApiError(400, 'InvalidOutput', `'${uri}' names a folder: a UriFile output needs a file path (${hint}).`, field);
  }
  if ('store' in parsed) return { uri: datastoreUri(parsed.location.datastore, path), datastore: parsed.location.datastore, path };
  return knownLocation({ ...parsed.location, path }, parsed.datastores, deps, uri, field);
}

/** The output's container, blob path and blob (the container may not exist yet). */
export interface OutputPlace {
  container: ContainerClient;
  path: string;
  blob: BlockBlobClient;
}

/** The location as a blob location (a URL location is parsed again: it was validated when resolved). */
async function placeOf(location: OutputLocation, deps: LocationDeps): Promise<OutputPlace> {
  const { datastore, path } = location;
  let blob: BlobLocation;
  let store: KnownDatastore | undefined;
  if (datastore !== undefined && path !== undefined) {
    blob = { kind: 'datastore', datastore, path };
  } else if (location.url) {
    const parsed = await parseOutputUri(location.url, deps, 'output');
    blob = parsed.location;
    if ('store' in parsed) store = parsed.store;
  } else {
    throw new Error(`Output location '${location.uri}' has neither a datastore path nor a URL.`);
  }
  const container = await containerFor(blob, deps, store ? { store } : {});
  return { container, path: blob.path, blob: container.getBlockBlobClient(blob.path) };
}

/** The block blob the output is written to (its container may not exist yet). */
export async function outputBlobClient(location: OutputLocation, deps: LocationDeps): Promise<BlockBlobClient> {
  return (await placeOf(location, deps)).blob;
}

/** Whether the output blob exists already (the invoke then answers 409 OutputAlreadyExists). */
export async function outputExists(location: OutputLocation, deps: LocationDeps): Promise<boolean> {
  const client = await outputBlobClient(location, deps);
  try {
    return await client.exists();
  } catch (err) {
    throw outputAccessProblem(err, location.uri);
  }
}

/** The 409 the invoke answers when the output exists: outputs are written once, never overwritten. */
export const outputAlreadyExists = (location: OutputLocation, field = 'properties.outputData'): ApiError =>
  new ApiError(
    409,
    'OutputAlreadyExists',
    `The output '${location.uri}' already exists; outputs are never overwritten. Choose another output path or file name, or delete it.`,
    field,
  );

/**
 * Output places resolved once per location and process, with their container created: a job's
 * mini-batches all write to one output, which would otherwise cost a registry read each (a user
 * datastore) and a container check. A failed resolve is not kept. Locations are fixed at invoke.
 */
export class OutputPlaces {
  readonly #places = new Map<string, Promise<OutputPlace>>();

  constructor(
    private readonly deps: LocationDeps,
    private readonly ensureContainer: (container: ContainerClient) => Promise<void>,
    private readonly most = 256,
  ) {}

  place(location: OutputLocation): Promise<OutputPlace> {
    const key = location.uri;
    let place = this.#places.get(key);
    if (place) {
      // Recently used last: the oldest is the one dropped.
      this.#places.delete(key);
      this.#places.set(key, place);
      return place;
    }
    place = placeOf(location, this.deps).then(async (p) => {
      await this.ensureContainer(p.container);
      return p;
    });
    place.catch(() => {
      if (this.#places.get(key) === place) this.#places.delete(key);
    });
    this.#places.set(key, place);
    if (this.#places.size > this.most) this.#places.delete(this.#places.keys().next().value!);
    return place;
  }

  async blob(location: OutputLocation): Promise<BlockBlobClient> {
    return (await this.place(location)).blob;
  }

  /** Writes `logs/<name>` of a job (text); returns the logs folder URI. */
  async writeLog(jobId: string, name: string, text: string): Promise<string> {
    const logs = logsLocation(jobId);
    const folder = await this.place(logs);
    const blob = folder.container.getBlockBlobClient(`${folder.path.replace(/\/+$/, '')}/${name}`);
    await blob.upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } });
    return logs.uri;
  }
}
