import { z } from 'zod';
import { assetMetadataShape, AssetVersions } from './assets';
import { assetUriSchema, checkDatastoreOf } from './assetUri';
import type { Datastores } from './datastores';
import type { RegistryStore } from './store';
import { looseEnum } from './validation';

export const modelPropertiesSchema = z.strictObject({
  // Azure ML's CLI/SDK spellings; MLflowModel/CustomModel are accepted too.
  // Optional as in Azure ML, whose default is custom_model.
  modelType: looseEnum(['mlflow_model', 'custom_model']).default('custom_model'),
  modelUri: assetUriSchema,
  ...assetMetadataShape,
});

/** The PUT body, as the route validates it (and the OpenAPI contract shows it). */
export const modelBodySchema = z.strictObject({ properties: modelPropertiesSchema });

export type ModelProperties = z.output<typeof modelPropertiesSchema>;

export function createModels(store: RegistryStore, datastores: Datastores): AssetVersions<ModelProperties> {
  return new AssetVersions<ModelProperties>(store, {
    collection: 'models',
    label: 'Model',
    bodySchema: modelBodySchema,
    checkReferences: (p) => checkDatastoreOf(datastores, p.modelUri, 'properties.modelUri'),
  });
}
