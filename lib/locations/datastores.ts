import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { ApiError } from '../http/apiError';
import { BLOB_HOST, sameService, type BlobLocation } from './uri';
import { fatal } from '../util/fatal';

/** What a location needs to know of a datastore (the registry's Datastore has it). */
export interface KnownDatastore {
  name: string;
  blobServiceUri: string;
  containerName: string;
  /** The built-in workspaceblobstore: the app's own blob service. */
  isWorkspaceStore: boolean;
}

/** The registered datastores (the registry's `datastores`). */
export interface DatastoreDirectory {
  tryGet(name: string): Promise<KnownDatastore | undefined>;
  list(): Promise<KnownDatastore[]>;
}

/** What reaching a blob location needs. */
export interface LocationDeps {
  registry: { datastores: DatastoreDirectory };
  /** The app's own blob service (StorageClients.blob): workspaceblobstore and URLs on this account use it. */
  blob: BlobServiceClient;
  /** For blobs on other accounts; default DefaultAzureCredential (the app's identity). */
  credential?: TokenCredential;
}

const isOwnService = (serviceUri: string, deps: Pick<LocationDeps, 'blob'>): boolean => sameService(serviceUri, deps.blob.url);

/** A datastore location whose datastore exists (its name as registered); 400 InvalidReference otherwise. */
export async function existingDatastore(
  location: { datastore: string; path: string },
  deps: LocationDeps,
  field: string,
): Promise<{ location: Extract<BlobLocation, { kind: 'datastore' }>; store: KnownDatastore }> {
  const store = await deps.registry.datastores.tryGet(location.datastore);
  if (!store) throw new ApiError(400, 'InvalidReference', `${field}: datastore '${location.datastore}' does not exist.`, field);
  return { location: { kind: 'datastore', datastore: store.name, path: location.path }, store };
}

/**
 * The service's own account also holds its internal state (host keys, durable history, job plans):
 * a blob URL on it may only reach a container a registered datastore exposes. `datastores` is the
 * registry's list, when the caller has it already.
 */
export async function checkOwnAccountContainer(
  location: Extract<BlobLocation, { kind: 'blob' }>,
  deps: LocationDeps,
  field: string,
  datastores?: KnownDatastore[],
): Promise<void> {
  if (!isOwnService(location.serviceUri, deps)) return;
  const all = datastores ?? (await deps.registry.datastores.list());
  const exposed = all.some((ds) => (ds.isWorkspaceStore || sameService(ds.blobServiceUri, location.serviceUri)) && ds.containerName === location.container);
  if (!exposed) {
    throw fatal(
      new ApiError(
        400,
        'InputNotAllowed',
        `${field}: container '${location.container}' of the service's own storage account is not a registered datastore; only datastore containers can be read or written.`,
        field,
      ),
    );
  }
}

let defaultCredential: TokenCredential | undefined;

function serviceClient(serviceUri: string, deps: LocationDeps): BlobServiceClient {
  if (isOwnService(serviceUri, deps)) return deps.blob;
  return new BlobServiceClient(serviceUri, deps.credential ?? (defaultCredential ??= new DefaultAzureCredential()));
}

/**
 * Datastore lookups for input downloads, kept 30 s per directory: a mini-batch of N files on a user
 * datastore would otherwise read the same registry row N times. Listing, outputs and management
 * read the registry each time, so a datastore fixed by the user is used by the next invoke.
 */
const DATASTORE_TTL_MS = 30_000;
const recentDatastores = new WeakMap<DatastoreDirectory, Map<string, { at: number; ds: Promise<KnownDatastore | undefined> }>>();

function recentDatastore(name: string, directory: DatastoreDirectory): Promise<KnownDatastore | undefined> {
  let cache = recentDatastores.get(directory);
  if (!cache) recentDatastores.set(directory, (cache = new Map()));
  const hit = cache.get(name);
  if (hit && Date.now() - hit.at < DATASTORE_TTL_MS) return hit.ds;
  const ds = directory.tryGet(name);
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

export interface ContainerOptions {
  /** Accept a datastore read in the last 30 s (input downloads). */
  recentDatastore?: boolean;
  /** The location's datastore, when the caller has just read it. */
  store?: KnownDatastore;
}

/**
 * The container a location is in, reached with the app's own clients (its account, any
 * container) or with its identity (other accounts). URL locations must be Azure blob services:
 * the identity's token goes nowhere else.
 */
export async function containerFor(location: BlobLocation, deps: LocationDeps, options: ContainerOptions = {}): Promise<ContainerClient> {
  if (location.kind === 'datastore') {
    const { datastores } = deps.registry;
    const ds =
      options.store ?? (await (options.recentDatastore ? recentDatastore(location.datastore, datastores) : datastores.tryGet(location.datastore)));
    if (!ds) throw new ApiError(400, 'InvalidReference', `Datastore '${location.datastore}' does not exist (deleted after the job was created?).`);
    return (ds.isWorkspaceStore ? deps.blob : serviceClient(ds.blobServiceUri, deps)).getContainerClient(ds.containerName);
  }
  const host = URL.canParse(location.serviceUri) ? new URL(location.serviceUri) : undefined;
  if (!isOwnService(location.serviceUri, deps) && !(host?.protocol === 'https:' && BLOB_HOST.test(host.hostname) && host.pathname === '/')) {
    throw new Error(`Refusing to reach blob service '${location.serviceUri}': not the app's own nor an Azure blob service.`);
  }
  return serviceClient(location.serviceUri, deps).getContainerClient(location.container);
}
