// Job inputs (and model/code assets): a URI as given, resolved to a location that exists.
import type { Registry } from '../registry/registry';
import { checkOwnAccountContainer, existingDatastore, type KnownDatastore, type LocationDeps } from '../locations/datastores';
import { datastoreUri, invalidInput, parseLocationUri, type InputLocation } from '../locations/uri';
import type { SafeFetchOptions } from './safeFetch';
import type { JobDataInput } from './types';

/** What reading user data needs: the locations' deps, the registry (data assets), public https rules. */
export interface DataDeps extends LocationDeps {
  registry: Registry;
  /** For public https files (tests pass `ca` and a test address policy). */
  fetch?: SafeFetchOptions;
}

export interface ResolvedInput {
  type: 'UriFolder' | 'UriFile';
  /** The URI as given. */
  uri: string;
  /** The URI files are listed from: a data asset's `dataUri`, a canonical datastore URI, or `uri`. */
  resolvedUri: string;
  location: InputLocation;
  /** The data asset `uri` named, with `@latest` pinned to a version. */
  asset?: { name: string; version: string };
  /** The location's datastore as just read (so listing does not read it again). */
  store?: KnownDatastore;
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
  const parsed = parseLocationUri(uri, deps.blob, field);
  let location: InputLocation;
  let resolvedUri = uri;
  let asset: ResolvedInput['asset'];
  if (parsed.kind === 'asset') {
    const found = await deps.registry.data.resolve(parsed.name, parsed.version, field);
    asset = { name: found.name, version: found.version };
    const dataType = found.properties.dataType;
    if ((dataType === 'uri_file') !== (type === 'UriFile')) {
      const fits = dataType === 'uri_file' ? 'UriFile' : 'UriFolder';
      throw invalidInput(field, `Data asset '${found.name}:${found.version}' is a ${dataType}; use it as a ${fits} input, not ${type}.`);
    }
    // One level only: a data asset's dataUri is a datastore path or blob URL (never another asset).
    const inner = parseLocationUri(found.properties.dataUri, deps.blob, field);
    if (inner.kind === 'asset' || inner.kind === 'https') {
      throw invalidInput(field, `Data asset '${found.name}:${found.version}' points at '${found.properties.dataUri}', which is not a datastore path or blob URL.`);
    }
    location = inner;
    resolvedUri = found.properties.dataUri;
  } else {
    location = parsed;
  }
  let store: KnownDatastore | undefined;
  if (location.kind === 'datastore') {
    const found = await existingDatastore(location, deps, field);
    location = found.location;
    store = found.store;
    resolvedUri = datastoreUri(location.datastore, location.path);
  }
  if (location.kind === 'blob') await checkOwnAccountContainer(location, deps, field);
  if (location.kind === 'https' && type !== 'UriFile') {
    throw invalidInput(field, `'${uri}' is a public https:// URL: it can only be a UriFile input (a web server cannot be listed as a folder).`);
  }
  if (type === 'UriFile' && location.kind !== 'https' && (location.path === '' || location.path.endsWith('/'))) {
    throw invalidInput(field, `'${uri}' names a folder: a UriFile input needs the path of one file (or use UriFolder).`);
  }
  return { type, uri, resolvedUri, location, ...(asset ? { asset } : {}), ...(store ? { store } : {}) };
}

/** Resolves a job's data input (its pinned `resolvedUri` when the invoke recorded one). */
export async function resolveJobInput(input: JobDataInput, deps: DataDeps): Promise<ResolvedInput> {
  const resolved = await validateInputUri(input.resolvedUri ?? input.uri, input.type, deps, `inputData.${input.name}`);
  return { ...resolved, uri: input.uri };
}

