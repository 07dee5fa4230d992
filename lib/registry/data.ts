import { z } from 'zod';
import { assetMetadataShape, AssetVersions } from './assets';
import { assetUriSchema, checkDatastoreOf } from './assetUri';
import type { Datastores } from './datastores';
import type { RegistryStore } from './store';
import { looseEnum } from './validation';

export const dataPropertiesSchema = z.strictObject({
  dataType: looseEnum(['uri_folder', 'uri_file']),
  dataUri: assetUriSchema,
  ...assetMetadataShape,
});

/** The PUT body, as the route validates it (and the OpenAPI contract shows it). */
export const dataBodySchema = z.strictObject({ properties: dataPropertiesSchema });

export type DataProperties = z.output<typeof dataPropertiesSchema>;

export function createDataAssets(store: RegistryStore, datastores: Datastores): AssetVersions<DataProperties> {
  return new AssetVersions<DataProperties>(store, {
    collection: 'data',
    label: 'Data asset',
    bodySchema: dataBodySchema,
    checkReferences: (p) => checkDatastoreOf(datastores, p.dataUri, 'properties.dataUri'),
  });
}
