import { z } from 'zod';
import { durationSchema, parseIsoDuration } from './duration';
import { looseEnum } from './validation';

/**
 * An integer, also when sent as a string (`"maxConcurrencyPerInstance": "4"` in Azure ML's REST
 * sample: its service reads JSON numbers leniently, so scripts written for it send strings).
 */
const int = (min: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v), z.int().min(min));

// Each setting's schema on its own, so an invoke's per-job overrides can reuse the same rules.
export const miniBatchSizeSchema = int(1);
export const instanceCountSchema = int(1);
export const maxConcurrencyPerInstanceSchema = int(1);
export const errorThresholdSchema = int(-1);
export const maxRetriesSchema = int(0);
/**
 * A mini-batch's timeout is a Node timer, which holds at most 2^31-1 ms (about 24.8 days): a longer
 * one fires at once (TimeoutOverflowWarning), so every mini-batch would time out. P24D is the most.
 */
export const MAX_TIMEOUT_MS = 24 * 24 * 3600 * 1000;
export const timeoutSchema = durationSchema.refine((v) => (parseIsoDuration(v) ?? 0) <= MAX_TIMEOUT_MS, 'must be at most P24D (24 days)');
export const outputActionSchema = looseEnum(['AppendRow', 'SummaryOnly']);
export const loggingLevelSchema = looseEnum(['Warning', 'Info', 'Debug']);

/** A plain file name: it becomes the last segment of the output blob path. */
export const outputFileNameSchema = z
  .string()
  .max(255)
  .refine(
    (v) => v !== '' && v !== '.' && v !== '..' && !/[/\\\u0000-\u001f]/.test(v),
    'must be a plain file name (no "/", "\\", "..", or control characters)',
  );

export const environmentVariablesSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name: letters, digits and "_", not starting with a digit'),
  z.string(),
);

/** Azure ML's defaults (see reference-yaml-deployment-batch). */
export const DEPLOYMENT_DEFAULTS = {
  miniBatchSize: 10,
  instanceCount: 1,
  maxConcurrencyPerInstance: 1,
  errorThreshold: -1,
  maxRetries: 3,
  timeout: 'PT30S',
  outputAction: 'AppendRow',
  outputFileName: 'predictions.csv',
  loggingLevel: 'Info',
} as const;

/** The settings members of a deployment's properties, with defaults applied when absent. */
export const deploymentSettingsShape = {
  miniBatchSize: miniBatchSizeSchema.default(DEPLOYMENT_DEFAULTS.miniBatchSize),
  resources: z.strictObject({ instanceCount: instanceCountSchema.default(DEPLOYMENT_DEFAULTS.instanceCount) }).prefault({}),
  maxConcurrencyPerInstance: maxConcurrencyPerInstanceSchema.default(DEPLOYMENT_DEFAULTS.maxConcurrencyPerInstance),
  errorThreshold: errorThresholdSchema.default(DEPLOYMENT_DEFAULTS.errorThreshold),
  retrySettings: z
    .strictObject({
      maxRetries: maxRetriesSchema.default(DEPLOYMENT_DEFAULTS.maxRetries),
      timeout: timeoutSchema.default(DEPLOYMENT_DEFAULTS.timeout),
    })
    .prefault({}),
  outputAction: outputActionSchema.default(DEPLOYMENT_DEFAULTS.outputAction),
  outputFileName: outputFileNameSchema.default(DEPLOYMENT_DEFAULTS.outputFileName),
  loggingLevel: loggingLevelSchema.default(DEPLOYMENT_DEFAULTS.loggingLevel),
  environmentVariables: environmentVariablesSchema.default({}),
};

const settingsSchema = z.object(deploymentSettingsShape);
type StoredSettings = z.output<typeof settingsSchema>;

/** A deployment's settings, flat and ready for a job (invoke overrides are applied on top by the caller). */
export interface EffectiveSettings {
  miniBatchSize: number;
  instanceCount: number;
  maxConcurrencyPerInstance: number;
  errorThreshold: number;
  maxRetries: number;
  /** ISO-8601, as configured. */
  timeout: string;
  timeoutMs: number;
  outputAction: 'AppendRow' | 'SummaryOnly';
  outputFileName: string;
  loggingLevel: 'Warning' | 'Info' | 'Debug';
  environmentVariables: Record<string, string>;
}

/** Flattens stored (already validated and defaulted) deployment properties into job settings. */
export function effectiveSettings(p: StoredSettings): EffectiveSettings {
  return {
    miniBatchSize: p.miniBatchSize,
    instanceCount: p.resources.instanceCount,
    maxConcurrencyPerInstance: p.maxConcurrencyPerInstance,
    errorThreshold: p.errorThreshold,
    maxRetries: p.retrySettings.maxRetries,
    timeout: p.retrySettings.timeout,
    timeoutMs: parseIsoDuration(p.retrySettings.timeout) ?? 30_000,
    outputAction: p.outputAction,
    outputFileName: p.outputFileName,
    loggingLevel: p.loggingLevel,
    environmentVariables: { ...p.environmentVariables },
  };
}
