// Output lines for append_row: one line per successful item, no header (Azure ML compatible).
//
// A small function instead of csv-stringify: this runs once per output row (millions per job),
// and csv-stringify's sync API builds a stringifier per call and casts booleans to "1"/"" and
// dates to epoch numbers, which we would have to override anyway. RFC 4180 quoting is 3 lines.

/** One CSV field: quoted (with doubled quotes) only when it holds a comma, quote, CR or LF. */
export function csvField(value: unknown): string {
  const text = fieldText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The line (without line terminator) for one item a scorer returned:
 * - a string is the whole line, as-is (one trailing newline is dropped, the writer adds one);
 * - an array is a row of fields; a plain object is a row of its values in key order;
 * - a number, bigint or boolean is a one-field line.
 * Nested arrays/objects inside a row become JSON text in one field; null/undefined fields are empty.
 */
export function formatOutputLine(item: unknown): string {
  if (typeof item === 'string') return item.replace(/\r?\n$/, '');
  if (Array.isArray(item)) return item.map(csvField).join(',');
  if (isPlainObject(item)) return Object.values(item).map(csvField).join(',');
  if (typeof item === 'number' || typeof item === 'bigint' || typeof item === 'boolean') return csvField(item);
  const got =
    item === null || item === undefined ? String(item)
    : typeof item === 'object' ? `an instance of ${item.constructor?.name ?? 'an unknown class'}`
    : `a ${typeof item}`;
  throw new TypeError(`an output item must be a string, an array or an object of fields, got ${got}`);
}

function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
