import { z } from 'zod';
import { usageError } from '../errors';
import type { YamlSpec } from '../yamlFile';
import { modelType } from './assets';
import { parseSpec, squash } from './parse';

const stringMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));
const int = (min: number) => z.number().int().min(min);

const enumOf = (values: Record<string, string>, message: string) =>
  z
    .string()
    .transform((v) => values[squash(v)] ?? v)
    .refine((v) => Object.values(values).includes(v), message);

/** Azure ML's settings block (also the legacy root-level keys). YAML durations are seconds. */
const settingsShape = {
  max_concurrency_per_instance: int(1).optional(),
  mini_batch_size: int(1).optional(),
  error_threshold: int(-1).optional(),
  logging_level: enumOf({ warning: 'Warning', info: 'Info', debug: 'Debug' }, 'must be warning, info or debug').optional(),
  retry_settings: z
    .strictObject({
      max_retries: int(0).optional(),
      timeout: z.union([int(1).transform((s) => `PT${s}S`), z.string().regex(/^P/, 'must be seconds or an ISO-8601 duration')]).optional(),
    })
    .optional(),
  output_action: enumOf({ appendrow: 'AppendRow', summaryonly: 'SummaryOnly' }, 'must be append_row or summary_only').optional(),
  output_file_name: z.string().optional(),
  environment_variables: stringMap.optional(),
};
type Settings = { [K in keyof typeof settingsShape]?: z.output<(typeof settingsShape)[K]> };

const modelRef = z.union([
  z.string().regex(/^azureml:/, 'must be azureml:<name>:<version>, azureml:<name>@latest, or an inline model {path, type}'),
  z.strictObject({
    name: z.string().optional(),
    version: z.union([z.string(), z.number()]).transform(String).optional(),
    path: z.string(),
    type: modelType.default('custom_model'),
    description: z.string().optional(),
  }),
]);

const notHere = z.unknown().optional();

/** Azure ML's batch deployment YAML: `type: model` with `settings:`, or the legacy root-level form. */
export const deploymentYaml = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().optional(),
  endpoint_name: z.string().optional(),
  description: z.string().optional(),
  tags: stringMap.optional(),
  properties: stringMap.optional(),
  type: z
    .string()
    .refine((v) => v === 'model', 'must be model (pipeline deployments do not apply here)')
    .optional(),
  model: modelRef,
  code_configuration: z.strictObject({ code: z.string(), scoring_script: z.string() }).optional(),
  resources: z.strictObject({ instance_count: int(1).optional(), instance_type: z.string().optional(), properties: notHere }).optional(),
  instance_count: int(1).optional(),
  settings: z.strictObject(settingsShape).optional(),
  ...settingsShape,
  // Azure-only: accepted, noted, not sent.
  compute: notHere,
  environment: notHere,
  instance_type: notHere,
});

export type DeploymentYaml = z.output<typeof deploymentYaml>;
export const AZURE_ONLY = ['compute', 'environment', 'instance_type'] as const;

export function parseDeployment(spec: YamlSpec): DeploymentYaml {
  // A pipeline deployment's keys (component, job_definition, settings.default_compute) would each
  // be reported as unknown: say the one thing that matters.
  if (spec.data['type'] === 'pipeline') {
    throw usageError(`Invalid batch deployment:\n  ${spec.where(['type'])}: type pipeline: pipeline deployments do not apply here; batch deployments here score a model (type: model).`);
  }
  const y = parseSpec(deploymentYaml, spec, 'batch deployment');
  if (y.instance_count !== undefined && y.resources?.instance_count !== undefined) {
    throw usageError(`${spec.where(['instance_count'])}: instance_count cannot be given together with resources.instance_count.`);
  }
  for (const key of Object.keys(settingsShape) as (keyof Settings)[]) {
    if (y[key] !== undefined && y.settings?.[key] !== undefined) {
      throw usageError(`${spec.where([key])}: ${key} is given both at the root (legacy form) and under settings:; keep one.`);
    }
  }
  return y;
}

/**
 * An `update --set` in the legacy root-level form (`mini_batch_size=5`, `instance_count=2`, as
 * for a legacy YAML file), aimed where the current deployment, read in the `type: model` form, has it.
 */
export function settingsSetPath(assignment: string): string {
  const key = assignment.slice(0, Math.max(assignment.indexOf('='), 0)).split('.')[0] ?? '';
  if (key === 'instance_count') return `resources.${assignment}`;
  return Object.hasOwn(settingsShape, key) ? `settings.${assignment}` : assignment;
}

/** What the YAML's Azure-only keys are, for the one-line note. */
export function ignoredKeys(y: DeploymentYaml): string[] {
  const keys: string[] = AZURE_ONLY.filter((k) => y[k] !== undefined);
  if (y.resources?.instance_type !== undefined) keys.push('resources.instance_type');
  return keys;
}

/** The deployment's REST properties from the YAML, given the model and code ids it refers to. */
export function deploymentBody(y: DeploymentYaml, refs: { modelId: string; codeId?: string }): Record<string, unknown> {
  const s: Settings = { ...pickSettings(y), ...(y.settings ?? {}) };
  const properties: Record<string, unknown> = { model: { referenceType: 'Id', assetId: refs.modelId } };
  if (y.description !== undefined) properties['description'] = y.description;
  if (y.properties) properties['properties'] = y.properties;
  if (refs.codeId) properties['codeConfiguration'] = { codeId: refs.codeId, scoringScript: y.code_configuration!.scoring_script };
  const instanceCount = y.resources?.instance_count ?? y.instance_count;
  if (instanceCount !== undefined) properties['resources'] = { instanceCount };
  if (s.max_concurrency_per_instance !== undefined) properties['maxConcurrencyPerInstance'] = s.max_concurrency_per_instance;
  if (s.mini_batch_size !== undefined) properties['miniBatchSize'] = s.mini_batch_size;
  if (s.error_threshold !== undefined) properties['errorThreshold'] = s.error_threshold;
  if (s.logging_level !== undefined) properties['loggingLevel'] = s.logging_level;
  if (s.retry_settings) {
    properties['retrySettings'] = {
      ...(s.retry_settings.max_retries !== undefined ? { maxRetries: s.retry_settings.max_retries } : {}),
      ...(s.retry_settings.timeout !== undefined ? { timeout: s.retry_settings.timeout } : {}),
    };
  }
  if (s.output_action !== undefined) properties['outputAction'] = s.output_action;
  if (s.output_file_name !== undefined) properties['outputFileName'] = s.output_file_name;
  if (s.environment_variables !== undefined) properties['environmentVariables'] = s.environment_variables;
  return { ...(y.tags ? { tags: y.tags } : {}), properties };
}

function pickSettings(y: DeploymentYaml): Settings {
  return Object.fromEntries(Object.keys(settingsShape).flatMap((k) => (y[k as keyof Settings] !== undefined ? [[k, y[k as keyof Settings]]] : [])));
}

const isoSeconds = (iso: string): number | string => {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(iso);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : iso;
};
const snake = (v: string) => v.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** A deployment resource as YAML fields (`type: model` form), what `update` starts from. */
export function deploymentYamlOf(resource: any, endpointName: string): Record<string, unknown> {
  const p = resource.properties ?? {};
  return {
    name: resource.name,
    endpoint_name: endpointName,
    type: 'model',
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(resource.tags ? { tags: resource.tags } : {}),
    ...(p.properties ? { properties: p.properties } : {}),
    model: p.model?.assetId ?? p.model,
    ...(p.codeConfiguration ? { code_configuration: { code: p.codeConfiguration.codeId, scoring_script: p.codeConfiguration.scoringScript } } : {}),
    resources: { instance_count: p.resources?.instanceCount ?? 1 },
    settings: {
      max_concurrency_per_instance: p.maxConcurrencyPerInstance,
      mini_batch_size: p.miniBatchSize,
      error_threshold: p.errorThreshold,
      logging_level: p.loggingLevel ? String(p.loggingLevel).toLowerCase() : undefined,
      retry_settings: { max_retries: p.retrySettings?.maxRetries, timeout: p.retrySettings?.timeout ? isoSeconds(p.retrySettings.timeout) : undefined },
      output_action: p.outputAction ? snake(p.outputAction) : undefined,
      output_file_name: p.outputFileName,
      environment_variables: p.environmentVariables,
    },
  };
}
