import { z } from 'zod';
import { DEFAULT_OUTPUT_NAME, type OutputUri } from '../output/location';
import { ApiError, type ErrorDetail } from '../http/apiError';
import {
  errorThresholdSchema,
  instanceCountSchema,
  loggingLevelSchema,
  maxConcurrencyPerInstanceSchema,
  maxRetriesSchema,
  miniBatchSizeSchema,
  outputFileNameSchema,
  timeoutSchema,
  type EffectiveSettings,
} from '../registry/deploymentSettings';
import { parseIsoDuration } from '../registry/duration';
import { looseEnum, parseOrThrow, stringMap, validationError } from '../registry/validation';
import type { JobDataInput, JobMetadata } from './types';

export type { JobMetadata };

/**
 * Azure ML's invoke body: `{ properties: { inputData, outputData?, <per-job settings> } }`.
 * The REST samples write schema keys in PascalCase (`InputData`, `JobInputType`, `Uri`), the
 * Python SDK in camelCase; both are accepted for schema keys only. Input and output names and
 * tag keys are the caller's and are kept exactly as sent.
 */

export interface InputDataView {
  jobInputType: 'UriFolder' | 'UriFile' | 'Literal';
  uri?: string;
  value?: string;
  mode?: string;
  description?: string;
}

export interface OutputDataView {
  jobOutputType: 'UriFile' | 'UriFolder';
  uri?: string;
  mode?: string;
  description?: string;
}

export interface InvokeRequest {
  /** The one data input. */
  input: JobDataInput;
  /** Literal inputs, as strings: the scoring script's `context.params`. */
  params: Record<string, string>;
  /** Every input, normalized to camelCase, for display. */
  inputData: Record<string, InputDataView>;
  /** The output as given (normalized), for display; `{}` when the invoke named none. */
  outputData: Record<string, OutputDataView>;
  /** The output's name (Azure ML uses `score`, the default). */
  outputName: string;
  outputUri?: OutputUri;
  /** Per-job settings that replace the deployment's. */
  overrides: Partial<EffectiveSettings>;
  /** Azure ML's job metadata: stored, shown on the job and filterable in the job list. */
  metadata: JobMetadata;
}


// Azure ML's delivery modes (REST and CLI spellings). Files are always downloaded here, so the
// mode is checked and shown but changes nothing.
const squash = (s: string) => s.toLowerCase().replace(/[_\s-]/g, '');
const MODES = new Set(
  ['ReadOnlyMount', 'ReadWriteMount', 'Download', 'Direct', 'EvalMount', 'EvalDownload', 'Upload', 'ro_mount', 'rw_mount'].map(squash),
);
const modeSchema = z.string().refine((v) => MODES.has(squash(v)), 'must be an Azure ML delivery mode such as "Download" or "ReadOnlyMount"');

const nameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,254}$/, 'must start with a letter or "_" and use only letters, digits, "_" and "-"');

const uriSchema = z.string().min(1).max(2048);

const inputSchema = z
  .strictObject({
    jobInputType: looseEnum(['UriFolder', 'UriFile', 'Literal']),
    uri: uriSchema.optional(),
    value: z.union([z.string().max(8192), z.number(), z.boolean()], { error: 'must be a string, a number or true/false' }).optional(),
    mode: modeSchema.optional(),
    description: z.string().max(1024).optional(),
  })
  .superRefine((input, ctx) => {
    const literal = input.jobInputType === 'Literal';
    const [needs, forbids] = literal ? (['value', 'uri'] as const) : (['uri', 'value'] as const);
    if (input[needs] === undefined) ctx.addIssue({ code: 'custom', path: [needs], message: `is required for a ${input.jobInputType} input` });
    if (input[forbids] !== undefined) ctx.addIssue({ code: 'custom', path: [forbids], message: `is not allowed for a ${input.jobInputType} input` });
  });

const outputSchema = z.strictObject({
  jobOutputType: looseEnum(['UriFile', 'UriFolder']).default('UriFile'),
  uri: uriSchema.optional(),
  mode: modeSchema.optional(),
  description: z.string().max(1024).optional(),
});

/** A deployment setting Azure ML does not take per job either: said clearly rather than "unknown field". */
const notPerJob = (why: string) =>
  z
    .unknown()
    .superRefine((_, ctx) => ctx.addIssue({ code: 'custom', message: `cannot be set per job: ${why}` }))
    .optional();

const propertiesSchema = z
  .strictObject({
    inputData: z.record(nameSchema, inputSchema),
    outputData: z.record(nameSchema, outputSchema).optional(),
    miniBatchSize: miniBatchSizeSchema.optional(),
    instanceCount: instanceCountSchema.optional(),
    maxConcurrencyPerInstance: maxConcurrencyPerInstanceSchema.optional(),
    errorThreshold: errorThresholdSchema.optional(),
    retrySettings: z.strictObject({ maxRetries: maxRetriesSchema.optional(), timeout: timeoutSchema.optional() }).optional(),
    outputFileName: outputFileNameSchema.optional(),
    loggingLevel: loggingLevelSchema.optional(),
    outputAction: notPerJob("it is the deployment's (as in Azure ML); use a deployment with the other output action"),
    environmentVariables: notPerJob("they are the deployment's (as in Azure ML); pass per-job values as Literal inputs"),
    tags: stringMap.optional(),
    description: z.string().max(2048).optional(),
    displayName: z.string().max(256).optional(),
    experimentName: z.string().max(256).optional(),
    properties: stringMap.optional(),
    // The Python SDK sends compute.instanceCount; there is no cluster to pick, so targets are accepted and ignored.
    compute: z
      .strictObject({ instanceCount: instanceCountSchema.optional(), target: z.string().optional(), instanceType: z.string().optional() })
      .optional(),
    computeId: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    const data = Object.entries(p.inputData).filter(([, i]) => i.jobInputType !== 'Literal');
    if (data.length !== 1) {
      const literals = Object.keys(p.inputData).filter((n) => !data.some(([d]) => d === n));
      const got =
        data.length === 0
          ? `got none${literals.length ? ` (only Literal inputs: ${literals.join(', ')})` : ''}`
          : `got ${data.length}: ${data.map(([n]) => n).join(', ')}`;
      ctx.addIssue({ code: 'custom', path: ['inputData'], message: `must have exactly one UriFolder or UriFile input; ${got}` });
    }
    const outputs = Object.keys(p.outputData ?? {});
    if (outputs.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['outputData'], message: `must have at most one output; got ${outputs.length}: ${outputs.join(', ')}` });
    }
    const alias = p.compute?.instanceCount;
    if (alias !== undefined && p.instanceCount !== undefined && alias !== p.instanceCount) {
      ctx.addIssue({ code: 'custom', path: ['compute', 'instanceCount'], message: 'differs from properties.instanceCount' });
    }
  });

/** The invoke body as the route validates it (also the OpenAPI contract: lib/openapi). */
export const invokeBodySchema = z.strictObject({ properties: propertiesSchema });
const bodySchema = invokeBodySchema;

// ---- PascalCase/camelCase schema keys ----

/** Which keys are schema keys at each level (null: a value, not a level); `map` levels hold user-named entries. */
type Level = { fields: Record<string, Level | null> } | { map: Level };

const inputLevel: Level = { fields: { jobInputType: null, uri: null, value: null, mode: null, description: null } };
const outputLevel: Level = { fields: { jobOutputType: null, uri: null, mode: null, description: null } };
const bodyLevel: Level = {
  fields: {
    properties: {
      fields: {
        inputData: { map: inputLevel },
        outputData: { map: outputLevel },
        miniBatchSize: null,
        instanceCount: null,
        maxConcurrencyPerInstance: null,
        errorThreshold: null,
        retrySettings: { fields: { maxRetries: null, timeout: null } },
        outputFileName: null,
        loggingLevel: null,
        outputAction: null,
        environmentVariables: null,
        tags: null,
        description: null,
        displayName: null,
        experimentName: null,
        properties: null,
        compute: { fields: { instanceCount: null, target: null, instanceType: null } },
        computeId: null,
      },
    },
  },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Normalizing {
  /** Normalized dotted path -> the key as sent, where they differ. */
  renames: Map<string, string>;
  problems: ErrorDetail[];
}

/** Copies the body with schema keys in camelCase; other keys stay as sent (the strict schema then names them). */
function normalizeKeys(value: unknown, level: Level, path: string[], state: Normalizing): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  const sentAs = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    if ('map' in level) {
      out[key] = normalizeKeys(v, level.map, [...path, key], state);
      continue;
    }
    const camel = key.charAt(0).toLowerCase() + key.slice(1);
    if (!(camel in level.fields) || (key !== camel && key !== camel.charAt(0).toUpperCase() + camel.slice(1))) {
      out[key] = v;
      continue;
    }
    const where = [...path, camel].join('.');
    const first = sentAs.get(camel);
    if (first !== undefined) {
      const at = path.length ? `${path.join('.')}.` : '';
      state.problems.push({ code: 'DuplicateField', target: where, message: `${at}${first} and ${at}${key} are the same field; send one` });
      continue;
    }
    sentAs.set(camel, key);
    if (key !== camel) state.renames.set(where, key);
    const inner = level.fields[camel];
    out[camel] = inner ? normalizeKeys(v, inner, [...path, camel], state) : v;
  }
  return out;
}

/** Rewrites an error detail's field path with the keys as the caller sent them. */
function asSent(detail: ErrorDetail, renames: Map<string, string>): ErrorDetail {
  if (!detail.target) return detail;
  const segments = detail.target.split('.');
  const sent = segments.map((s, i) => renames.get(segments.slice(0, i + 1).join('.')) ?? s).join('.');
  const message = detail.message.startsWith(detail.target) ? sent + detail.message.slice(detail.target.length) : detail.message;
  return { ...detail, target: sent, message };
}

const literalText = (v: string | number | boolean): string => (typeof v === 'string' ? v : String(v));

/** Parses and validates an invoke body; 400 ValidationError naming each bad field (as sent). */
export function parseInvokeRequest(body: unknown): InvokeRequest {
  const state: Normalizing = { renames: new Map(), problems: [] };
  const normalized = normalizeKeys(body, bodyLevel, [], state);
  if (state.problems.length) throw validationError(state.problems);
  let p: z.output<typeof propertiesSchema>;
  try {
    p = parseOrThrow(bodySchema, normalized).properties;
  } catch (err) {
    if (err instanceof ApiError && err.details) throw validationError(err.details.map((d) => asSent(d, state.renames)));
    throw err;
  }

  const inputData: Record<string, InputDataView> = {};
  const params: Record<string, string> = {};
  let input: JobDataInput | undefined;
  for (const [name, i] of Object.entries(p.inputData)) {
    const view: InputDataView = { jobInputType: i.jobInputType };
    if (i.uri !== undefined) view.uri = i.uri;
    if (i.value !== undefined) view.value = params[name] = literalText(i.value);
    if (i.mode !== undefined) view.mode = i.mode;
    if (i.description !== undefined) view.description = i.description;
    inputData[name] = view;
    if (i.jobInputType !== 'Literal') input = { name, type: i.jobInputType, uri: i.uri! };
  }

  const outputData: Record<string, OutputDataView> = {};
  let outputName = DEFAULT_OUTPUT_NAME;
  let outputUri: OutputUri | undefined;
  for (const [name, o] of Object.entries(p.outputData ?? {})) {
    outputName = name;
    outputData[name] = JSON.parse(JSON.stringify(o)) as OutputDataView; // drops undefined members
    if (o.uri !== undefined) outputUri = { type: o.jobOutputType, uri: o.uri };
  }

  const overrides: Partial<EffectiveSettings> = {};
  if (p.miniBatchSize !== undefined) overrides.miniBatchSize = p.miniBatchSize;
  const instanceCount = p.instanceCount ?? p.compute?.instanceCount;
  if (instanceCount !== undefined) overrides.instanceCount = instanceCount;
  if (p.maxConcurrencyPerInstance !== undefined) overrides.maxConcurrencyPerInstance = p.maxConcurrencyPerInstance;
  if (p.errorThreshold !== undefined) overrides.errorThreshold = p.errorThreshold;
  if (p.retrySettings?.maxRetries !== undefined) overrides.maxRetries = p.retrySettings.maxRetries;
  if (p.retrySettings?.timeout !== undefined) overrides.timeout = p.retrySettings.timeout;
  if (p.outputFileName !== undefined) overrides.outputFileName = p.outputFileName;
  if (p.loggingLevel !== undefined) overrides.loggingLevel = p.loggingLevel;

  return {
    input: input!, // the schema guarantees exactly one
    params,
    inputData,
    outputData,
    outputName,
    ...(outputUri ? { outputUri } : {}),
    overrides,
    metadata: JSON.parse(
      JSON.stringify({
        displayName: p.displayName,
        experimentName: p.experimentName ?? p.properties?.['experimentName'],
        description: p.description,
        tags: p.tags,
        properties: p.properties,
      }),
    ) as JobMetadata, // drops the members not sent
  };
}

/** The deployment's settings with an invoke's overrides on top (timeoutMs follows timeout). */
export function applyOverrides(settings: EffectiveSettings, overrides: Partial<EffectiveSettings>): EffectiveSettings {
  const merged: EffectiveSettings = { ...settings, ...overrides, environmentVariables: { ...settings.environmentVariables } };
  merged.timeoutMs = parseIsoDuration(merged.timeout) ?? settings.timeoutMs;
  return merged;
}
