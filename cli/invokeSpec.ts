import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { parseAssetRef } from './assets';
import { enc, READ } from './client';
import type { Context } from './context';
import { usageError } from './errors';
import { parseSpec } from './specs/parse';
import { isRemote } from './specs/assets';
import { uploadLocal } from './upload';
import type { YamlSpec } from './yamlFile';

/** The input name `--input` gets (azure-ai-ml's default for a single batch input). */
export const DEFAULT_INPUT_NAME = 'input_data';

const dataInput = z.strictObject({
  type: z.enum(['uri_folder', 'uri_file']),
  path: z.string(),
  mode: z.string().optional(),
  description: z.string().optional(),
});
const literalTypes = ['string', 'integer', 'number', 'boolean'] as const;
const typedLiteral = z.strictObject({
  type: z.enum(literalTypes),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  description: z.string().optional(),
});
const plainLiteral = z.union([z.string(), z.number(), z.boolean()]);

/** `--file inputs.yml` and `--set inputs.X...` (Azure ML's job inputs/outputs YAML). */
export const invokeYaml = z.strictObject({
  $schema: z.string().optional(),
  inputs: z.record(z.string(), z.union([plainLiteral, dataInput, typedLiteral], { error: 'must be {type: uri_folder|uri_file, path}, a literal value, or {type: string|integer|number|boolean, default}' })).optional(),
  outputs: z
    .record(z.string(), z.strictObject({ type: z.enum(['uri_file', 'uri_folder']).default('uri_folder'), path: z.string(), mode: z.string().optional() }))
    .optional(),
  output_file_name: z.string().optional(),
  mini_batch_size: z.number().int().optional(),
  instance_count: z.number().int().optional(),
  max_concurrency_per_instance: z.number().int().optional(),
  error_threshold: z.number().int().optional(),
  logging_level: z.string().optional(),
  experiment_name: z.string().optional(),
  display_name: z.string().optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
});

export interface InvokeFlags {
  input?: string;
  inputType?: string;
  miniBatchSize?: string;
  instanceCount?: string;
  outputPath?: string;
  experimentName?: string;
  jobName?: string;
  file?: string;
}

const positiveInt = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} must be a whole number of 1 or more; got '${v}'.`);
  return n;
};

/** A literal as Azure ML types it: checked against its declared type, sent as text. */
function literalValue(name: string, v: unknown, spec: YamlSpec): string {
  if (typeof v !== 'object' || v === null) return String(v);
  const t = v as z.output<typeof typedLiteral>;
  const value = t.value ?? t.default;
  if (value === undefined) throw usageError(`${spec.where(['inputs', name])}: inputs.${name} has type ${t.type} but no default (or value).`);
  const text = String(value);
  const ok =
    t.type === 'string' ||
    (t.type === 'integer' && /^-?\d+$/.test(text)) ||
    (t.type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) ||
    (t.type === 'boolean' && /^(true|false)$/i.test(text));
  if (!ok) throw usageError(`${spec.where(['inputs', name])}: inputs.${name} is declared ${t.type} but its value is '${text}'.`);
  return t.type === 'boolean' ? text.toLowerCase() : text;
}

/**
 * The invoke body (Azure ML's `{ properties: { InputData, OutputData, ... } }`) from the flags,
 * `--file` and `--set`: local inputs are uploaded first; a data asset's type is looked up.
 */
export async function invokeBody(ctx: Context, flags: InvokeFlags, spec: YamlSpec): Promise<{ body: Record<string, unknown>; headers: Record<string, string> }> {
  const y = parseSpec(invokeYaml, spec, 'invoke input');
  const baseDir = flags.file ? dirname(flags.file) : process.cwd();
  const inputs: Record<string, unknown> = {};
  const entries: [string, unknown][] = Object.entries(y.inputs ?? {});
  if (flags.input !== undefined) {
    if (entries.some(([, v]) => typeof v === 'object' && v !== null && 'path' in v)) {
      throw usageError('--input cannot be combined with data inputs from --file or --set inputs.X.path; give one.');
    }
    entries.unshift([DEFAULT_INPUT_NAME, { type: flags.inputType ?? '', path: flags.input }]);
  }
  for (const [name, v] of entries) {
    if (typeof v === 'object' && v !== null && 'path' in v) {
      const given = v as { type: string; path: string; mode?: string; description?: string };
      const resolved = await resolveInput(ctx, given.path, given.type || undefined, baseDir, name);
      inputs[name] = {
        JobInputType: resolved.type === 'uri_file' ? 'UriFile' : 'UriFolder',
        Uri: resolved.uri,
        ...(given.mode ? { Mode: given.mode } : {}),
        ...(given.description ? { Description: given.description } : {}),
      };
    } else {
      inputs[name] = { JobInputType: 'Literal', Value: literalValue(name, v, spec) };
    }
  }
  if (!Object.values(inputs).some((i) => (i as { JobInputType: string }).JobInputType !== 'Literal')) {
    throw usageError('No data input: give --input <uri|azureml:data:version|local path>, --file inputs.yml, or --set inputs.<name>.type=uri_folder inputs.<name>.path=<uri>.');
  }
  const properties: Record<string, unknown> = { InputData: inputs };
  const outputs = { ...(y.outputs ?? {}) };
  if (flags.outputPath) outputs['score'] = { type: 'uri_folder', path: flags.outputPath };
  if (Object.keys(outputs).length) {
    properties['OutputData'] = Object.fromEntries(
      Object.entries(outputs).map(([name, o]) => [name, { JobOutputType: o.type === 'uri_file' ? 'UriFile' : 'UriFolder', Uri: o.path, ...(o.mode ? { Mode: o.mode } : {}) }]),
    );
  }
  const miniBatchSize = positiveInt(flags.miniBatchSize, '--mini-batch-size') ?? y.mini_batch_size;
  const instanceCount = positiveInt(flags.instanceCount, '--instance-count') ?? y.instance_count;
  if (miniBatchSize !== undefined) properties['miniBatchSize'] = miniBatchSize;
  if (instanceCount !== undefined) properties['instanceCount'] = instanceCount;
  if (y.max_concurrency_per_instance !== undefined) properties['maxConcurrencyPerInstance'] = y.max_concurrency_per_instance;
  if (y.error_threshold !== undefined) properties['errorThreshold'] = y.error_threshold;
  if (y.logging_level !== undefined) properties['loggingLevel'] = y.logging_level;
  if (y.output_file_name !== undefined) properties['outputFileName'] = y.output_file_name;
  if (y.description !== undefined) properties['description'] = y.description;
  // Job ids are the service's: --job-name is the display name, and the idempotency key (the same
  // --job-name gives the same job, never a second).
  const experiment = flags.experimentName ?? y.experiment_name;
  if (experiment !== undefined) properties['experimentName'] = experiment;
  const displayName = flags.jobName ?? y.display_name;
  if (displayName !== undefined) properties['displayName'] = displayName;
  if (y.tags) properties['tags'] = y.tags;
  const headers: Record<string, string> = flags.jobName ? { 'x-ms-client-request-id': flags.jobName } : {};
  return { body: { properties }, headers };
}

/** A data input's URI and type: URIs as given, data assets typed by their registration, local paths uploaded. */
async function resolveInput(ctx: Context, path: string, type: string | undefined, baseDir: string, name: string): Promise<{ uri: string; type: string }> {
  if (type !== undefined && type !== 'uri_folder' && type !== 'uri_file') throw usageError(`input type '${type}' must be uri_folder or uri_file.`);
  const asset = parseAssetRef(path);
  if (asset) {
    if (type) return { uri: path, type };
    const res = await ctx.client.request('GET', `data/${enc(asset.name)}/versions/${enc(asset.version)}`, { roles: READ });
    return { uri: path, type: res.body?.properties?.dataType ?? 'uri_folder' };
  }
  if (isRemote(path) || path.startsWith('/subscriptions/')) return { uri: path, type: type ?? 'uri_folder' };
  const local = path.startsWith('/') ? path : `${baseDir}/${path}`;
  if (!existsSync(local)) throw usageError(`input '${path}' is neither a URI (azureml://, https://), a data asset (azureml:<name>:<version>) nor an existing file or folder.`);
  const isFolder = statSync(local).isDirectory();
  const uploaded = await uploadLocal(ctx.client, 'data', { name: `${name.replace(/[^A-Za-z0-9_.-]/g, '-')}`, version: 'local' }, local, ctx.note);
  return { uri: uploaded.uri, type: type ?? (isFolder ? 'uri_folder' : 'uri_file') };
}
