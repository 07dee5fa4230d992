import type { z } from 'zod';
import { usageError } from '../errors';
import type { YamlSpec } from '../yamlFile';

/**
 * Validates a YAML spec with its zod schema; the first problem is reported as
 * `<file>:<line>: <key.path> <message>` (az prints the line of a bad YAML key too).
 */
export function parseSpec<S extends z.ZodType>(schema: S, spec: YamlSpec, what: string): z.output<S> {
  const result = schema.safeParse(spec.data);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const at = unknownKeys.length ? [...path, unknownKeys[0]!] : path;
    const key = at.join('.');
    const message = unknownKeys.length
      ? `is not a ${what} key${unknownKeys.length > 1 ? ` (nor ${unknownKeys.slice(1).join(', ')})` : ''}`
      : valueAt(spec.data, path) === undefined
        ? 'is required' // zod's "Invalid input" for a missing key names nothing
        : issue.message;
    return `${spec.where(at)}: ${key ? `${key} ` : ''}${message}`;
  });
  throw usageError(`Invalid ${what}:\n  ${lines.join('\n  ')}`);
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let node = data;
  for (const key of path) node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
  return node;
}

/** Azure ML's snake_case enum spelling, any case: `append_row`, `AppendRow`, `appendrow`. */
export const squash = (v: string): string => v.toLowerCase().replace(/[_\s-]/g, '');
