/**
 * Turns binding data as the real host sends it (PascalCase names; strings, numbers, JSON objects)
 * into `context.triggerMetadata` as `@azure/functions` v4 builds it (`fromRpcTriggerMetadata`):
 * strings that parse as JSON are parsed, then every key is camel-cased, nested ones too.
 * Mirroring that keeps the library's quirks (a blob named `42` yields `name: 42`).
 */
export function toTriggerMetadata(bindingData: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bindingData)) {
    if (value === undefined) continue;
    result[camelKey(key)] = camelValue(typeof value === 'string' ? tryJsonParse(value) : value);
  }
  return result;
}

/** What the library does with a string trigger value: JSON if it parses, else the text. */
export function tryJsonParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function camelKey(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

function camelValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(camelValue);
  const result: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) result[camelKey(k)] = camelValue(v);
  return result;
}
