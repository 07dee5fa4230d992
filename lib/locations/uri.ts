import type { BlobServiceClient } from '@azure/storage-blob';
import { ApiError } from '../http/apiError';
import { afterArmWorkspace } from '../http/armPath';
import { datastorePathOf, InvalidInputPathError, normalizeDatastorePath, parseDatastoreUri } from './datastorePath';
import { parseAssetId } from './references';
import { fatal } from '../util/fatal';

/**
 * The URI forms users give for inputs, outputs and assets, parsed without I/O:
 * `azureml://datastores/<ds>/paths/<p>` (also the long workspace form), `azureml:<data>:<version>` /
 * `azureml:<data>@latest`, Azure blob URLs (`https://<account>.blob.core.windows.net/<container>/<p>`,
 * or the app's own blob service URL, such as Azurite's `http://127.0.0.1:<port>/<account>/<container>/<p>`),
 * and public https files.
 */

/** A blob or blob prefix: through a datastore, or by URL. Also an InputFileRef. */
export type BlobLocation =
  | { kind: 'datastore'; datastore: string; path: string }
  | { kind: 'blob'; serviceUri: string; container: string; path: string };

export type InputLocation = BlobLocation | { kind: 'https'; url: string };

export type ParsedUri = InputLocation | { kind: 'asset'; name: string; version: string };

const INPUT_FORMS =
  'azureml://datastores/<datastore>/paths/<path>, azureml:<data>:<version>, azureml:<data>@latest, ' +
  'https://<account>.blob.core.windows.net/<container>/<path> or a public https:// file';
/** An Azure blob service host (public cloud and sovereign clouds): the only hosts the app's identity token goes to. */
export const BLOB_HOST = /^[a-z0-9]{3,24}\.blob\.core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/;
/**
 * Why `uri` is not an Azure blob service endpoint the app's identity may be sent to, or undefined
 * when it is one: `https://<account>.blob.<known cloud suffix>`, default port, nothing after the host.
 */
export function azureBlobServiceProblem(uri: string): string | undefined {
  if (!URL.canParse(uri)) return 'not a URL';
  const url = new URL(uri);
  if (url.protocol !== 'https:') return 'not https';
  if (!BLOB_HOST.test(url.hostname)) return 'not <account>.blob.core.windows.net (or a sovereign cloud\'s blob.core.chinacloudapi.cn, blob.core.usgovcloudapi.net)';
  if (url.port) return 'a port is given (Azure blob endpoints use 443)';
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return 'something follows the host';
  return undefined;
}

const CONTAINER = /^(?:\$root|[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9])$/;
const HTTP_URI = /^(https?):\/\/([^/?#]+)([^?#]*)(\?[^#]*)?(#.*)?$/i;

export const invalidInput = (field: string, message: string): ApiError => new ApiError(400, 'InvalidInput', message, field);

/** The app's own blob service as origin + path (`/devstoreaccount1` on Azurite, '' in Azure). */
function ownService(blob: Pick<BlobServiceClient, 'url'>): { origin: string; path: string; uri: string } {
  const url = new URL(blob.url);
  const path = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin.toLowerCase(), path, uri: `${url.origin}${path}` };
}

/** Whether two blob service URLs are the same service (case and trailing '/' aside). */
export const sameService = (a: string, b: string): boolean => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/** The datastore URI in its short canonical form, of a blob path (as stored, not URI-encoded). */
export const datastoreUri = (datastore: string, path: string): string => `azureml://datastores/${datastore}/paths/${datastorePathOf(path)}`;

/** Splits `<container>/<path>` of a blob URL; the path is checked like a datastore path. */
function blobLocation(uri: string, serviceUri: string, rest: string, field: string): BlobLocation {
  const slash = rest.indexOf('/');
  const container = slash < 0 ? rest : rest.slice(0, slash);
  if (!CONTAINER.test(container)) throw invalidInput(field, `'${uri}' does not name a blob container after the account ('${container}').`);
  try {
    return { kind: 'blob', serviceUri, container, path: normalizeDatastorePath(slash < 0 ? '' : rest.slice(slash + 1)) };
  } catch (err) {
    if (err instanceof InvalidInputPathError) throw fatal(new ApiError(400, err.code, `${err.message} (in '${uri}')`, field));
    throw err;
  }
}

function parseHttpUri(uri: string, blob: Pick<BlobServiceClient, 'url'>, field: string): InputLocation {
  const m = HTTP_URI.exec(uri);
  if (!m) throw invalidInput(field, `'${uri}' is not a valid URL.`);
  const [, scheme = '', host = '', path = '', query, fragment] = m;
  const own = ownService(blob);
  let location: BlobLocation | undefined;
  if (`${scheme}://${host}`.toLowerCase() === own.origin && path.startsWith(`${own.path}/`)) {
    location = blobLocation(uri, own.uri, path.slice(own.path.length + 1), field);
  } else if (scheme.toLowerCase() === 'https' && BLOB_HOST.test(host.toLowerCase())) {
    location = blobLocation(uri, `https://${host.toLowerCase()}`, path.slice(1), field);
  }
  if (location) {
    if (query || fragment) {
      throw invalidInput(field, `'${uri}' has a query string or fragment: SAS tokens are not needed (the service reads blobs with its own identity); remove it.`);
    }
    return location;
  }
  if (scheme.toLowerCase() !== 'https') {
    throw invalidInput(field, `'${uri}' uses ${scheme}://: only https:// is accepted (http:// only for the app's own storage emulator).`);
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidInput(field, `'${uri}' is not a valid URL.`);
  }
  if (url.username || url.password) throw invalidInput(field, `'${uri}' contains a user name or password; they are not accepted.`);
  return { kind: 'https', url: uri };
}

/**
 * Azure ML also takes a datastore's ARM id followed by `/paths/<p>` (the CLI's inputs.yml and the
 * REST samples): read as `azureml://datastores/<ds>/paths/<p>`. A data asset's ARM id
 * (`.../data/<n>/versions/<v>`) and `azureml://locations/<l>/workspaces/<w>/data/<n>/versions/<v>`
 * are asset references (parseAssetId reads their tail).
 */
function fromArmId(uri: string): string {
  const rest = afterArmWorkspace(uri);
  return rest !== undefined && /^datastores\//i.test(rest) ? `azureml://${rest}` : uri;
}

/**
 * Parses a URI without any I/O; 400 naming `field` when it is not one of the accepted forms.
 * `blob` is the app's own blob service: its URLs (e.g. Azurite's) are blob locations too.
 */

export function parseLocationUri(given: string, blob: Pick<BlobServiceClient, 'url'>, field: string): ParsedUri {
  const uri = fromArmId(given);
  let datastore: ReturnType<typeof parseDatastoreUri>;
  try {
    datastore = parseDatastoreUri(uri);
  } catch (err) {
    if (err instanceof InvalidInputPathError) {
      const message = err.message.includes(uri) ? err.message : `${err.message} (in '${uri}')`;
      throw fatal(new ApiError(400, err.code, message, field));
    }
    throw err;
  }
  if (datastore) return { kind: 'datastore', ...datastore };
  if (/^azureml:/i.test(uri) || afterArmWorkspace(uri) !== undefined) {
    const ref = parseAssetId(uri, 'data');
    if (!ref) throw invalidInput(field, `'${uri}' is not a datastore path or data asset reference; use ${INPUT_FORMS}.`);
    return { kind: 'asset', ...ref };
  }
  if (/^https?:\/\//i.test(uri)) return parseHttpUri(uri, blob, field);
  throw invalidInput(field, `'${uri}' is not a supported URI; use ${INPUT_FORMS}.`);
}
