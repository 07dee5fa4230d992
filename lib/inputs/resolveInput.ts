import { statusOf } from '../storage/once';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { ApiError } from '../http/apiError';
import type { JobDataInput } from '../jobs/types';
import type { Registry } from '../registry/registry';
import { parseAssetId, parseDatastoreUri as splitDatastoreUri } from '../registry/references';
import { InvalidInputPathError, normalizeDatastorePath, parseDatastoreUri } from './datastorePath';
import type { SafeFetchOptions } from './safeFetch';

/**
 * Turns the URIs users give (inputs and outputs) into blob locations, and blob locations into
 * clients. Accepted forms: `azureml://datastores/<ds>/paths/<p>` (also the long workspace form),
 * `azureml:<data>:<version>` / `azureml:<data>@latest`, Azure blob URLs
 * (`https://<account>.blob.core.windows.net/<container>/<p>`, or the app's own blob service URL,
 * such as Azurite's `http://127.0.0.1:<port>/<account>/<container>/<p>`), and public https files.
 */

/** What reading and writing user data needs. */
export interface DataDeps {
  registry: Registry;
  /** The app's own blob service (StorageClients.blob): workspaceblobstore and URLs on this account use it. */
  blob: BlobServiceClient;
  /** For blobs on other accounts; default DefaultAzureCredential (the app's identity). */
  credential?: TokenCredential;
  /** For public https files (tests pass `ca` and a test address policy). */
  fetch?: SafeFetchOptions;
}

/** A blob or blob prefix: through a datastore, or by URL. Also an InputFileRef. */
export type BlobLocation =
  | { kind: 'datastore'; datastore: string; path: string }
  | { kind: 'blob'; serviceUri: string; container: string; path: string };

export type InputLocation = BlobLocation | { kind: 'https'; url: string };

export interface ResolvedInput {
  type: 'UriFolder' | 'UriFile';
  /** The URI as given. */
  uri: string;
  /** The URI files are listed from: a data asset's `dataUri`, a canonical datastore URI, or `uri`. */
  resolvedUri: string;
  location: InputLocation;
  /** The data asset `uri` named, with `@latest` pinned to a version. */
  asset?: { name: string; version: string };
}

type ParsedUri = InputLocation | { kind: 'asset'; name: string; version: string };

const INPUT_FORMS =
  'azureml://datastores/<datastore>/paths/<path>, azureml:<data>:<version>, azureml:<data>@latest, ' +
  'https://<account>.blob.core.windows.net/<container>/<path> or a public https:// file';
const BLOB_HOST = /^[a-z0-9]{3,24}\.blob\.core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/;
const CONTAINER = /^(?:\$root|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$/;
const HTTP_URI = /^(https?):\/\/([^/?#]+)([^?#]*)(\?[^#]*)?(#.*)?$/i;

const invalid = (field: string, message: string): ApiError => new ApiError(400, 'InvalidInput', message, field);

/** The app's own blob service as origin + path (`/devstoreaccount1` on Azurite, '' in Azure). */
function ownService(deps: Pick<DataDeps, 'blob'>): { origin: string; path: string; uri: string } {
  const url = new URL(deps.blob.url);
  const path = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin.toLowerCase(), path, uri: `${url.origin}${path}` };
}

/** Whether two blob service URLs are the same service (case and trailing '/' aside). */
export const sameService = (a: string, b: string): boolean => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

const isOwnService = (serviceUri: string, deps: Pick<DataDeps, 'blob'>): boolean => sameService(serviceUri, deps.blob.url);

/** Splits `<container>/<path>` of a blob URL; the path is checked like a datastore path. */
function blobLocation(uri: string, serviceUri: string, rest: string, field: string): BlobLocation {
  const slash = rest.indexOf('/');
  const container = slash < 0 ? rest : rest.slice(0, slash);
  if (!CONTAINER.test(container)) throw invalid(field, `'${uri}' does not name a blob container after the account ('${container}').`);
  try {
    return { kind: 'blob', serviceUri, container, path: normalizeDatastorePath(slash < 0 ? '' : rest.slice(slash + 1)) };
  } catch (err) {
    if (err instanceof InvalidInputPathError) throw new ApiError(400, err.code, `${err.message} (in '${uri}')`, field);
    throw err;
  }
}

function parseHttpUri(uri: string, deps: Pick<DataDeps, 'blob'>, field: string): InputLocation {
  const m = HTTP_URI.exec(uri);
  if (!m) throw invalid(field, `'${uri}' is not a valid URL.`);
  const [, scheme = '', host = '', path = '', query, fragment] = m;
  const own = ownService(deps);
  let blob: BlobLocation | undefined;
  if (`${scheme}://${host}`.toLowerCase() === own.origin && path.startsWith(`${own.path}/`)) {
    blob = blobLocation(uri, own.uri, path.slice(own.path.length + 1), field);
  } else if (scheme.toLowerCase() === 'https' && BLOB_HOST.test(host.toLowerCase())) {
    blob = blobLocation(uri, `https://${host.toLowerCase()}`, path.slice(1), field);
  }
  if (blob) {
    if (query || fragment) {
      throw invalid(field, `'${uri}' has a query string or fragment: SAS tokens are not needed (the service reads blobs with its own identity); remove it.`);
    }
    return blob;
  }
  if (scheme.toLowerCase() !== 'https') {
    throw invalid(field, `'${uri}' uses ${scheme}://: only https:// is accepted (http:// only for the app's own storage emulator).`);
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(field, `'${uri}' is not a valid URL.`);
  }
  if (url.username || url.password) throw invalid(field, `'${uri}' contains a user name or password; they are not accepted.`);
  return { kind: 'https', url: uri };
}

/** Parses a URI without any I/O; 400 naming `field` when it is not one of the accepted forms. */
function parseUri(uri: string, deps: Pick<DataDeps, 'blob'>, field: string): ParsedUri {
  const datastoreRef = splitDatastoreUri(uri); // also the long azureml://subscriptions/.../workspaces/<w>/datastores/... form
  if (datastoreRef) {
    try {
      return { kind: 'datastore', ...parseDatastoreUri(`azureml://datastores/${datastoreRef.datastore}/paths/${datastoreRef.path}`) };
    } catch (err) {
      if (err instanceof InvalidInputPathError) {
        const message = err.message.includes(err.input) ? err.message.replace(err.input, uri) : `${err.message} (in '${uri}')`;
        throw new ApiError(400, err.code, message, field);
      }
      throw err;
    }
  }
  if (/^azureml:/i.test(uri)) {
    const ref = parseAssetId(uri, 'data');
    if (!ref) throw invalid(field, `'${uri}' is not a datastore path or data asset reference; use ${INPUT_FORMS}.`);
    return { kind: 'asset', ...ref };
  }
  if (/^https?:\/\//i.test(uri)) return parseHttpUri(uri, deps, field);
  throw invalid(field, `'${uri}' is not a supported URI; use ${INPUT_FORMS}.`);
}

/** The datastore URI in its short canonical form. */
export const datastoreUri = (datastore: string, path: string): string => `azureml://datastores/${datastore}/paths/${path}`;

/** A datastore location whose datastore exists (its name as registered); 400 InvalidReference otherwise. */
async function existingDatastore(
  location: { datastore: string; path: string },
  deps: DataDeps,
  field: string,
): Promise<Extract<BlobLocation, { kind: 'datastore' }>> {
  const ds = await deps.registry.datastores.tryGet(location.datastore);
  if (!ds) throw new ApiError(400, 'InvalidReference', `${field}: datastore '${location.datastore}' does not exist.`, field);
  return { kind: 'datastore', datastore: ds.name, path: location.path };
}

/**
 * The service's own account also holds its internal state (host keys, durable history, job plans):
 * a blob URL on it may only reach a container a registered datastore exposes.
 */
export async function checkOwnAccountContainer(location: Extract<BlobLocation, { kind: 'blob' }>, deps: DataDeps, field: string): Promise<void> {
  if (!isOwnService(location.serviceUri, deps)) return;
  const datastores = await deps.registry.datastores.list();
  const exposed = datastores.some((ds) => (ds.isWorkspaceStore || sameService(ds.blobServiceUri, location.serviceUri)) && ds.containerName === location.container);
  if (!exposed) {
    throw new ApiError(
      400,
      'InputNotAllowed',
      `${field}: container '${location.container}' of the service's own storage account is not a registered datastore; only datastore containers can be read or written.`,
      field,
    );
  }
}

/**
 * Resolves a URI to where its blobs are, checking what can be checked cheaply: the form, that
 * the datastore or data asset exists, that a data asset's type fits. Blob existence is not
 * checked (listInputFiles does, when the job prepares). 400 InvalidInput / InvalidReference
 * naming `field` otherwise.
 */
export async function validateInputUri(
  uri: string,
  type: 'UriFolder' | 'UriFile',
  deps: DataDeps,
  field = 'uri',
): Promise<ResolvedInput> {
  const parsed = parseUri(uri, deps, field);
  let location: InputLocation;
  let resolvedUri = uri;
  let asset: ResolvedInput['asset'];
  if (parsed.kind === 'asset') {
    const found = await deps.registry.data.resolve(parsed.name, parsed.version, field);
    asset = { name: found.name, version: found.version };
    const dataType = found.properties.dataType;
    if ((dataType === 'uri_file') !== (type === 'UriFile')) {
      const fits = dataType === 'uri_file' ? 'UriFile' : 'UriFolder';
      throw invalid(field, `Data asset '${found.name}:${found.version}' is a ${dataType}; use it as a ${fits} input, not ${type}.`);
    }
    // One level only: a data asset's dataUri is a datastore path or blob URL (never another asset).
    const inner = parseUri(found.properties.dataUri, deps, field);
    if (inner.kind === 'asset' || inner.kind === 'https') {
      throw invalid(field, `Data asset '${found.name}:${found.version}' points at '${found.properties.dataUri}', which is not a datastore path or blob URL.`);
    }
    location = inner;
    resolvedUri = found.properties.dataUri;
  } else {
    location = parsed;
  }
  if (location.kind === 'datastore') {
    const found = await existingDatastore(location, deps, field);
    location = found;
    resolvedUri = datastoreUri(found.datastore, found.path);
  }
  if (location.kind === 'blob') await checkOwnAccountContainer(location, deps, field);
  if (location.kind === 'https' && type !== 'UriFile') {
    throw invalid(field, `'${uri}' is a public https:// URL: it can only be a UriFile input (a web server cannot be listed as a folder).`);
  }
  if (type === 'UriFile' && location.kind !== 'https' && (location.path === '' || location.path.endsWith('/'))) {
    throw invalid(field, `'${uri}' names a folder: a UriFile input needs the path of one file (or use UriFolder).`);
  }
  return { type, uri, resolvedUri, location, ...(asset ? { asset } : {}) };
}

/** Resolves a job's data input (its pinned `resolvedUri` when the invoke recorded one). */
export async function resolveJobInput(input: JobDataInput, deps: DataDeps): Promise<ResolvedInput> {
  const resolved = await validateInputUri(input.resolvedUri ?? input.uri, input.type, deps, `inputData.${input.name}`);
  return { ...resolved, uri: input.uri };
}

let defaultCredential: TokenCredential | undefined;

function serviceClient(serviceUri: string, deps: DataDeps): BlobServiceClient {
  if (isOwnService(serviceUri, deps)) return deps.blob;
  return new BlobServiceClient(serviceUri, deps.credential ?? (defaultCredential ??= new DefaultAzureCredential()));
}

/**
 * Datastore lookups for input downloads, kept 30 s per registry: a mini-batch of N files on a user
 * datastore would otherwise read the same registry row N times. Listing, outputs and management
 * read the registry each time, so a datastore fixed by the user is used by the next invoke.
 */
const DATASTORE_TTL_MS = 30_000;
const recentDatastores = new WeakMap<Registry, Map<string, { at: number; ds: ReturnType<Registry['datastores']['tryGet']> }>>();

function datastoreFor(name: string, registry: Registry): ReturnType<Registry['datastores']['tryGet']> {
  let cache = recentDatastores.get(registry);
  if (!cache) recentDatastores.set(registry, (cache = new Map()));
  const hit = cache.get(name);
  if (hit && Date.now() - hit.at < DATASTORE_TTL_MS) return hit.ds;
  const ds = registry.datastores.tryGet(name);
  const entry = { at: Date.now(), ds };
  // Only a found datastore is kept: one created a moment later must be seen at once.
  const forget = () => {
    if (cache.get(name) === entry) cache.delete(name);
  };
  ds.then((found) => found ?? forget(), forget);
  cache.set(name, entry);
  if (cache.size > 64) cache.delete(cache.keys().next().value!);
  return ds;
}

/**
 * The container a location is in, reached with the app's own clients (its account, any
 * container) or with its identity (other accounts). URL locations must be Azure blob services:
 * the identity's token goes nowhere else.
 */
export async function containerFor(location: BlobLocation, deps: DataDeps, options: { recentDatastore?: boolean } = {}): Promise<ContainerClient> {
  if (location.kind === 'datastore') {
    const ds = await (options.recentDatastore ? datastoreFor(location.datastore, deps.registry) : deps.registry.datastores.tryGet(location.datastore));
    if (!ds) throw new ApiError(400, 'InvalidReference', `Datastore '${location.datastore}' does not exist (deleted after the job was created?).`);
    return (ds.isWorkspaceStore ? deps.blob : serviceClient(ds.blobServiceUri, deps)).getContainerClient(ds.containerName);
  }
  const host = URL.canParse(location.serviceUri) ? new URL(location.serviceUri) : undefined;
  if (!isOwnService(location.serviceUri, deps) && !(host?.protocol === 'https:' && BLOB_HOST.test(host.hostname) && host.pathname === '/')) {
    throw new Error(`Refusing to reach blob service '${location.serviceUri}': not the app's own nor an Azure blob service.`);
  }
  return serviceClient(location.serviceUri, deps).getContainerClient(location.container);
}

/**
 * Parses an output URI: a datastore path or an Azure blob URL (public https and data assets
 * are not places to write). 400 naming `field` otherwise; the datastore must exist.
 */
export async function parseOutputUri(uri: string, deps: DataDeps, field: string): Promise<BlobLocation> {
  const parsed = parseUri(uri, deps, field);
  if (parsed.kind === 'datastore') return existingDatastore(parsed, deps, field);
  if (parsed.kind === 'blob') {
    await checkOwnAccountContainer(parsed, deps, field);
    return parsed;
  }
  throw invalid(field, `'${uri}' cannot receive an output: use azureml://datastores/<datastore>/paths/<path> or a blob URL on an Azure storage account.`);
}

/** Maps a storage error to one a job can show: missing or not readable. Other errors pass through. */
export function storageProblem(err: unknown, what: string): unknown {
  const status = statusOf(err);
  if (status === 404) return new ApiError(400, 'InputNotFound', `${what} was not found.`);
  if (status === 403 || status === 401) {
    return new ApiError(
      400,
      'InputNotAccessible',
      `${what} cannot be read with the service's identity (HTTP ${status}): grant it "Storage Blob Data Reader" on that storage account or container.`,
    );
  }
  return err;
}
