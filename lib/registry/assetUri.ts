import { z } from 'zod';
import { ApiError } from '../http/apiError';
import type { Datastores } from './datastores';
import { isAzureBlobUrl, parseDatastoreUri } from './references';

/** Where an asset's files are: a datastore path or an Azure blob URL. */
export const assetUriSchema = z
  .string()
  .refine(
    (v) => parseDatastoreUri(v) !== undefined || isAzureBlobUrl(v),
    'must be azureml://datastores/<datastore>/paths/<path> or https://<account>.blob.core.windows.net/<container>/<path>',
  );

/** Checks that the datastore an `azureml://` URI names exists: a 400 naming the field if not. */
export async function checkDatastoreOf(datastores: Datastores, uri: string, field: string): Promise<void> {
  const ref = parseDatastoreUri(uri);
  if (ref && !(await datastores.tryGet(ref.datastore))) {
    throw new ApiError(400, 'InvalidReference', `${field}: datastore '${ref.datastore}' does not exist.`, field);
  }
}
