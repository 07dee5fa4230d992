import { z } from 'zod';
import { ApiError } from '../http/apiError';
import { InvalidInputPathError, normalizeDatastorePath, splitDatastoreUri } from '../locations/datastorePath';
import type { Datastores } from './datastores';
import { isAzureBlobUrl } from '../locations/references';

/** The path part of an asset URI as written (no URL parsing: it would resolve '..' away). */
function rawPathOf(uri: string): string | undefined {
  const ref = splitDatastoreUri(uri);
  if (ref) return ref.path;
  return isAzureBlobUrl(uri) ? uri.replace(/^https:\/\/[^/]+\/[^/]+\/?/, '') : undefined;
}

/** Where an asset's files are: a datastore path or an Azure blob URL, with a path inputs would accept. */
export const assetUriSchema = z.string().superRefine((v, ctx) => {
  const path = rawPathOf(v);
  if (path === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be azureml://datastores/<datastore>/paths/<path> or https://<account>.blob.core.windows.net/<container>/<path>' });
    return;
  }
  try {
    normalizeDatastorePath(path); // refused here, not only when a job downloads the asset
  } catch (err) {
    if (!(err instanceof InvalidInputPathError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/** Checks that the datastore an `azureml://` URI names exists: a 400 naming the field if not. */
export async function checkDatastoreOf(datastores: Datastores, uri: string, field: string): Promise<void> {
  const ref = splitDatastoreUri(uri);
  if (ref && !(await datastores.tryGet(ref.datastore))) {
    throw new ApiError(400, 'InvalidReference', `${field}: datastore '${ref.datastore}' does not exist.`, field);
  }
}
