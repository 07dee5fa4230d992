import { z } from 'zod';
import { ApiError, type ErrorDetail } from '../http/apiError';

const nouns: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'an array',
};

const bound = (origin: string, op: string, n: number | bigint): string | undefined => {
  if (origin === 'number' || origin === 'int') return `must be ${op} ${n}`;
  if (origin === 'string') return `must have ${op} ${n} characters`;
  if (origin === 'array') return `must have ${op} ${n} items`;
  return undefined;
};

/**
 * Zod's per-parse error map: turns an issue into the human part of "<field> <message>".
 * Messages set on a schema (regex hints etc.) take precedence over this map, as zod defines.
 */
const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${nouns[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return bound(issue.origin, issue.inclusive ? '≥' : '>', issue.minimum);
    case 'too_big':
      return bound(issue.origin, issue.inclusive ? '≤' : '<', issue.maximum);
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return 'has an invalid format';
    case 'invalid_union':
      return 'is not valid here';
    default:
      return undefined;
  }
};

/** The object schemas `schema` stands for, through optional/default/pipe/union wrappers. */
function objectsOf(schema: unknown, depth = 0): Record<string, unknown>[] {
  const def = (schema as { _zod?: { def?: Record<string, any> } } | undefined)?._zod?.def;
  if (!def || depth > 8) return [];
  switch (def['type']) {
    case 'object':
      return [def['shape'] as Record<string, unknown>];
    case 'pipe':
      return [...objectsOf(def['in'], depth + 1), ...objectsOf(def['out'], depth + 1)];
    case 'union':
      return (def['options'] as unknown[]).flatMap((o) => objectsOf(o, depth + 1));
    case 'lazy':
      return objectsOf(def['getter'](), depth + 1);
    default:
      return def['innerType'] ? objectsOf(def['innerType'], depth + 1) : [];
  }
}

/** The field names the schema knows at `path` (for a hint on an unknown one). */
function knownKeysAt(schema: z.ZodType, path: PropertyKey[]): Set<string> {
  let shapes = objectsOf(schema);
  for (const key of path) shapes = shapes.flatMap((shape) => objectsOf(shape[String(key)]));
  return new Set(shapes.flatMap((shape) => Object.keys(shape)));
}

/** `mini_batch_size` -> `miniBatchSize`: Azure ML's YAML names sent in a REST body. */
const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Renders one zod issue as one or more details: `properties.miniBatchSize must be ≥ 1`. */
function toDetails(issue: z.core.$ZodIssue, schema: z.ZodType): ErrorDetail[] {
  const path = issue.path.map(String).join('.');
  const field = (p: string) => (p === '' ? 'The body' : p);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const target = path ? `${path}.${key}` : key;
      const named = camel(key) !== key && knownKeysAt(schema, issue.path).has(camel(key)) ? camel(key) : undefined;
      const hint = named ? `: the REST name is ${path ? `${path}.` : ''}${named} (snake_case is the YAML's)` : '';
      return { code: 'UnknownField', target, message: `${target} is not a known field${hint}` };
    });
  }
  if (issue.code === 'invalid_key') {
    const why = issue.issues[0]?.message;
    return [{ code: 'InvalidField', target: path, message: `${field(path)} is not an allowed key${why ? `: ${why}` : ''}` }];
  }
  return [{ code: 'InvalidField', target: path, message: `${field(path)} ${issue.message}` }];
}

/** A 400 ValidationError whose message and details name each field. */
export function validationError(details: ErrorDetail[]): ApiError {
  const message =
    details.length === 1
      ? `${details[0]!.message}.`
      : `The request has ${details.length} problems: ${details.map((d) => d.message).join('; ')}.`;
  return new ApiError(400, 'ValidationError', message, undefined, details);
}

/** Validates input against a schema; the parsed (defaulted, normalized) value or a 400 ValidationError. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input, { error: describeIssue });
  if (result.success) return result.data;
  throw validationError(result.error.issues.flatMap((issue) => toDetails(issue, schema)));
}

/**
 * A case-insensitive enum that also accepts Azure ML's snake_case spellings
 * (`append_row` = `AppendRow`) and yields the canonical value.
 */
export function looseEnum<const T extends readonly [string, ...string[]]>(values: T) {
  const squash = (s: string) => s.toLowerCase().replace(/[_\s-]/g, '');
  const byKey = new Map(values.map((v) => [squash(v), v]));
  return z.string().transform((input, ctx): T[number] => {
    const found = byKey.get(squash(input));
    if (found) return found;
    ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
    return z.NEVER;
  });
}

/** String maps (tags, properties, environment variables) with Azure's tag limits. */
export const stringMap = z.record(z.string().min(1).max(512), z.string().max(1024));
