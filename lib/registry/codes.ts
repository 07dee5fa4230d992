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

export type CodeProperties = z.output<typeof codePropertiesSchema>;

export function createCodes(store: RegistryStore, datastores: Datastores): AssetVersions<CodeProperties> {
  return new AssetVersions<CodeProperties>(store, {
    collection: 'codes',
    label: 'Code',
    bodySchema: z.strictObject({ properties: codePropertiesSchema }),
    checkReferences: (p) => checkDatastoreOf(datastores, p.codeUri, 'properties.codeUri'),
  });
}
