import { z } from 'zod';
import type { YamlSpec } from '../yamlFile';
import { parseSpec, squash } from './parse';

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const version = z.union([z.string(), z.number()]).transform(String);

/** `mlflow_model` / `custom_model` in any of Azure ML's spellings (MLflowModel, custom_model...). */
export const modelType = z
  .string()
  .transform((v) => ({ mlflowmodel: 'mlflow_model', custommodel: 'custom_model' })[squash(v)] ?? v)
  .refine((v) => v === 'mlflow_model' || v === 'custom_model', 'must be mlflow_model or custom_model (triton_model does not apply here)');

/** Azure ML's model YAML (model.schema.json). */
export const modelYaml = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  version: version.optional(),
  path: z.string({ error: 'is required: a local file or folder, or an azureml:// or https:// URI' }),
  type: modelType.default('custom_model'),
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
  stage: z.string().optional(),
  flavors: z.unknown().optional(),
});

/** Azure ML's data asset YAML (data.schema.json). */
export const dataYaml = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  version: version.optional(),
  path: z.string({ error: 'is required: a local file or folder, or an azureml:// or https:// URI' }),
  type: z
    .string()
    .default('uri_folder')
    .refine((v) => v === 'uri_folder' || v === 'uri_file', 'must be uri_folder or uri_file (mltable does not apply here)'),
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
});

/** Azure ML's blob datastore YAML (azureBlob.schema.json); keys and SAS tokens are refused: the service reads with its identity. */
export const datastoreYaml = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  type: z.string().refine((v) => squash(v) === 'azureblob', 'must be azure_blob (only blob datastores apply here)'),
  account_name: z.string(),
  container_name: z.string(),
  endpoint: z.string().optional(),
  protocol: z.string().optional(),
  /** Not Azure ML's: a blob service URL such as Azurite's (http only to localhost). */
  service_uri: z.string().optional(),
  credentials: z
    .record(z.string(), z.unknown())
    .refine((c) => Object.keys(c).length === 0, 'must be empty or left out: the service reads datastores with its own identity (no account keys or SAS tokens)')
    .optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
});

export const parseModel = (spec: YamlSpec) => parseSpec(modelYaml, spec, 'model');
export const parseData = (spec: YamlSpec) => parseSpec(dataYaml, spec, 'data asset');

/** The PUT body of `datastores/{name}`. */
export function datastoreBody(spec: YamlSpec): { name?: string; body: Record<string, unknown> } {
  const y = parseSpec(datastoreYaml, spec, 'datastore');
  return {
    ...(y.name ? { name: y.name } : {}),
    body: {
      properties: {
        datastoreType: 'AzureBlob',
        accountName: y.account_name,
        containerName: y.container_name,
        ...(y.endpoint ? { endpoint: y.endpoint } : {}),
        ...(y.protocol ? { protocol: y.protocol } : {}),
        ...(y.service_uri ? { serviceUri: y.service_uri } : {}),
        ...(y.description !== undefined ? { description: y.description } : {}),
        ...(y.tags ? { tags: y.tags } : {}),
        ...(y.properties ? { properties: y.properties } : {}),
      },
    },
  };
}

/** A path that is not a URI or an asset reference is a local file or folder to upload. */
export const isRemote = (path: string): boolean => /^(azureml:|https?:\/\/|wasbs?:\/\/|abfss?:\/\/)/i.test(path);
