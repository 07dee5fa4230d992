import { stringify } from 'yaml';
import { withAzNames } from './azShape';
import { usageError } from './errors';

// The package's types are declared as ESM only although it ships a CommonJS build: require it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { search } = require('@jmespath-community/jmespath') as { search(data: unknown, expression: string): unknown };

export type OutputFormat = 'json' | 'yaml' | 'table' | 'tsv' | 'none';
export const FORMATS: OutputFormat[] = ['json', 'yaml', 'table', 'tsv', 'none'];

/** A row for `-o table` when no --query picks the columns (az's table transformers do the same). */
export type TableView = (item: any) => Record<string, unknown>;

/**
 * Applies `--query` (JMESPath, as az) to the result: the service's ARM names
 * (`properties.status`) and az ml's (`status`, `scoring_uri`, a model's `version`: azShape.ts)
 * both work, so queries copied from Azure ML scripts run as written.
 */
export function applyQuery(value: unknown, query: string | undefined): unknown {
  if (!query) return value;
  const { view, restore } = withAzNames(value);
  try {
    return restore(search(view, query));
  } catch (err) {
    throw usageError(`--query '${query}' is not a valid JMESPath expression: ${(err as Error).message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalar = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Rows for table/tsv: a list's items, or the object itself; only scalar members become columns (as az). */
function rowsOf(value: unknown, view: TableView | undefined): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (view) return view(item);
    if (!isObject(item)) return { Result: item };
    return Object.fromEntries(Object.entries(item).filter(([, v]) => !isObject(v) && !Array.isArray(v)));
  });
}

function table(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (!columns.length) return '';
  const cells = rows.map((r) => columns.map((c) => scalar(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** tsv as az prints it: no header, one line per item, tab between columns; a scalar on its own. */
function tsv(value: unknown, view: TableView | undefined): string {
  if (value === null || value === undefined) return '';
  if (!isObject(value) && !Array.isArray(value)) return scalar(value);
  if (Array.isArray(value) && value.every((v) => !isObject(v) && !Array.isArray(v))) return value.map(scalar).join('\n');
  return rowsOf(value, view)
    .map((r) => Object.values(r).map(scalar).join('\t'))
    .join('\n');
}

/** The result as text in the chosen format (after --query), or '' for `-o none` and no result. */
export function formatResult(value: unknown, format: OutputFormat, query?: string, view?: TableView): string {
  const result = applyQuery(value, query);
  if (result === undefined || format === 'none') return '';
  switch (format) {
    case 'json':
      return JSON.stringify(result, null, 2);
    case 'yaml':
      return stringify(result).trimEnd();
    case 'table':
      return table(rowsOf(result, query ? undefined : view));
    case 'tsv':
      return tsv(result, query ? undefined : view);
  }
}
