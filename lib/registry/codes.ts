import { z } from 'zod';
import { AssetVersions } from './assets';
import { assetUriSchema, checkDatastoreOf } from './assetUri';
import type { Datastores } from './datastores';
import type { RegistryStore } from './store';
import { stringMap } from './validation';

export const codePropertiesSchema = z.strictObject({
  /** The folder holding the scoring script (and whatever it imports). */
  codeUri: assetUriSchema,
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
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
