import { z } from 'zod';
import { assetMetadataShape, AssetVersions } from './assets';
import { assetUriSchema, checkDatastoreOf } from './assetUri';
import type { Datastores } from './datastores';
import type { RegistryStore } from './store';

export const codePropertiesSchema = z.strictObject({
  /** The folder holding the scoring script (and whatever it imports). */
  codeUri: assetUriSchema,
  ...assetMetadataShape,
});

/** The PUT body, as the route validates it (and the OpenAPI contract shows it). */
export const codeBodySchema = z.strictObject({ properties: codePropertiesSchema });

export type CodeProperties = z.output<typeof codePropertiesSchema>;

export function createCodes(store: RegistryStore, datastores: Datastores): AssetVersions<CodeProperties> {
  return new AssetVersions<CodeProperties>(store, {
    collection: 'codes',
    label: 'Code',
    bodySchema: codeBodySchema,
    checkReferences: (p) => checkDatastoreOf(datastores, p.codeUri, 'properties.codeUri'),
  });
}
