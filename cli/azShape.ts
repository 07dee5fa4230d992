/**
 * The service answers in ARM's shape (`{ id, name, type, properties: { status, scoringUri } }`);
 * `az ml` prints the SDK's snake_case shape (`status`, `scoring_uri`, `defaults.deployment_name`,
 * a model version's `name` and `version`). Scripts written for az ml query the latter
 * (`--query status -o tsv`), so `--query` falls back to this view when the ARM shape has nothing
 * there (output.ts). Only the names are az's (and an asset's `path` and `type`): values are the service's.
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
  const segments = String(r['id'] ?? '').split('/');
  if (String(type).endsWith('/versions') && segments.length >= 3 && segments[segments.length - 2] === 'versions') {
    out['version'] = r['name'];
    out['name'] = decodeURIComponent(segments[segments.length - 3]!);
  }
  // An asset's `path` and `type` in az ml (`modelUri`/`dataUri`/`codeUri`, `modelType`/`dataType` in REST).
  const p = properties as Record<string, unknown>;
  const path = p['modelUri'] ?? p['dataUri'] ?? p['codeUri'];
  if (path !== undefined) out['path'] = path;
  const assetType = p['modelType'] ?? p['dataType'];
  if (assetType !== undefined) out['type'] = assetType;
  return out;
}

/** The result (a resource, a list of them, anything else unchanged) in az ml's names. */
export function azShapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (isResource(v) ? resourceAsAz(v) : v));
  return isResource(value) ? resourceAsAz(value) : value;
}
