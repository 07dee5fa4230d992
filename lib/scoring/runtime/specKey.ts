import type { ScorerSpec } from './types';

/** A key equal for equal specs whatever their property order (environmentVariables come from JSON). */
export function specKey(spec: ScorerSpec): string {
  return JSON.stringify(sorted(spec));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sorted(v);
  }
  return out;
}
