/**
 * The service answers in ARM's shape (`{ id, name, type, properties: { status, scoringUri } }`);
 * `az ml` prints the SDK's snake_case shape (`status`, `scoring_uri`, `defaults.deployment_name`,
 * a model version's `version` and `path`). Scripts written for az ml query the latter
 * (`--query status -o tsv`), so `--query` runs on each resource with az ml's names added beside
 * the ARM ones (output.ts); where both have a name (`name`, `type`, `id`, `tags`, `properties`)
 * the ARM one stays. Only the names are az's: the values are the service's.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const snake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

/** Members whose keys are the user's (tags, variables, input names): kept as written. */
const USER_KEYED = new Set(['tags', 'properties', 'environmentVariables', 'inputData', 'outputData', 'outputs', 'inputs']);

function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [snake(k), USER_KEYED.has(k) && isObject(v) ? Object.fromEntries(Object.entries(v).map(([n, x]) => [n, snakeKeys(x)])) : snakeKeys(v)]),
  );
}

const isResource = (v: unknown): v is Record<string, unknown> => isObject(v) && typeof v['type'] === 'string' && isObject(v['properties']);

/** One ARM resource as az ml prints it: its properties at the top, snake_case; anything else as is. */
function resourceAsAz(r: Record<string, unknown>): Record<string, unknown> {
  const { properties, systemData, type, ...rest } = r;
  const out: Record<string, unknown> = { ...(snakeKeys(properties) as Record<string, unknown>), ...(snakeKeys(rest) as Record<string, unknown>) };
  if (isObject(systemData)) out['creation_context'] = snakeKeys(systemData);
  // A version resource is named by its version in ARM; az ml names it by its asset.
  const asset = assetOfVersion(r);
  if (asset !== undefined) {
    out['version'] = r['name'];
    out['name'] = asset;
  }
  const path = assetPathOf(properties);
  if (path !== undefined) out['path'] = path;
  return out;
}

/** The asset a version resource (`.../models/<name>/versions/<v>`, named by its version) belongs to; undefined for anything else. */
export function assetOfVersion(r: { id?: unknown; type?: unknown }): string | undefined {
  const segments = String(r.id ?? '').split('/');
  const isVersion = String(r.type ?? '').endsWith('/versions') && segments.length >= 3 && segments[segments.length - 2] === 'versions';
  return isVersion ? decodeURIComponent(segments[segments.length - 3]!) : undefined;
}

/** An asset's `path` in az ml (`modelUri`/`dataUri`/`codeUri` in REST). */
export function assetPathOf(properties: unknown): unknown {
  const p = (isObject(properties) ? properties : {}) as Record<string, unknown>;
  return p['modelUri'] ?? p['dataUri'] ?? p['codeUri'];
}

/**
 * The result to query: each resource (alone or in a list) with az ml's names added, ARM's winning
 * where both have one; and `restore`, which turns such resources in a query's result back into
 * the service's (a filter such as `[?status=='Failed']` prints them as they came).
 */
export function withAzNames(value: unknown): { view: unknown; restore: (result: unknown) => unknown } {
  const originals = new Map<object, unknown>();
  const widen = (v: unknown) => {
    if (!isResource(v)) return v;
    const wide = { ...resourceAsAz(v), ...v };
    originals.set(wide, v);
    return wide;
  };
  const view = Array.isArray(value) ? value.map(widen) : widen(value);
  const restore = (result: unknown): unknown => {
    if (typeof result !== 'object' || result === null) return result;
    if (originals.has(result)) return originals.get(result);
    if (Array.isArray(result)) return result.map(restore);
    return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, restore(v)]));
  };
  return { view, restore };
}
