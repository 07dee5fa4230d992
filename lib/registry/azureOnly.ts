import type { ErrorDetail } from '../http/apiError';

/**
 * Fields Azure ML takes that mean nothing here (there is no cluster, environment image, region or
 * SKU to pick): accepted, taken out before validation, and reported back in the response's
 * `warnings` (and the log), never dropped silently. Keyed by resource kind, then dotted path.
 */
const IGNORED: Record<string, Record<string, string>> = {
  endpoint: {
    location: 'the app runs where it is deployed; there is no region per endpoint',
    kind: 'there is one kind of batch endpoint',
    sku: 'there is no SKU: the function app scales itself',
    identity: "storage is read with the function app's own identity",
  },
  deployment: {
    location: 'the app runs where it is deployed; there is no region per deployment',
    kind: 'there is one kind of batch deployment',
    sku: 'there is no SKU: the function app scales itself',
    identity: "storage is read with the function app's own identity",
    'properties.compute': "there is no cluster: mini-batches run on the function app's instances (resources.instanceCount x maxConcurrencyPerInstance at once)",
    'properties.environmentId': 'scoring scripts run on Node in the app; there is no environment image (npm packages of the app can be required)',
    'properties.environment': 'scoring scripts run on Node in the app; there is no environment image',
    'properties.resources.instanceType': "there is no VM size to pick: the function app's instance size applies",
    'properties.resources.properties': 'there is no cluster to configure',
  },
  asset: {
    location: 'assets live in the app’s workspace storage; there is no region',
  },
  job: {
    'properties.computeId': "there is no cluster: mini-batches run on the function app's instances",
    'properties.compute.target': "there is no cluster: mini-batches run on the function app's instances",
    'properties.compute.instanceType': "there is no VM size to pick: the function app's instance size applies",
    'properties.environmentId': 'scoring runs with the deployment’s code on Node; there is no environment image',
  },
};

export type ResourceKind = keyof typeof IGNORED;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A copy of the body without the Azure-only fields of its kind, and one warning per field taken out
 * (`{ code: 'IgnoredField', target, message }`). Keys match in any casing (PascalCase REST bodies).
 */
export function takeAzureOnly(body: unknown, kind: ResourceKind): { body: unknown; warnings: ErrorDetail[] } {
  if (!isObject(body)) return { body, warnings: [] };
  const copy = structuredClone(body) as Record<string, unknown>;
  const warnings: ErrorDetail[] = [];
  for (const [path, why] of Object.entries(IGNORED[kind] ?? {})) {
    const segments = path.split('.');
    let parent: Record<string, unknown> | undefined = copy;
    const sent: string[] = [];
    for (const segment of segments.slice(0, -1)) {
      const key: string | undefined = parent && Object.keys(parent).find((k) => k.toLowerCase() === segment.toLowerCase());
      const next: unknown = key === undefined ? undefined : parent![key];
      parent = isObject(next) ? next : undefined;
      if (key !== undefined) sent.push(key);
    }
    if (!parent) continue;
    const last = segments[segments.length - 1]!;
    const key = Object.keys(parent).find((k) => k.toLowerCase() === last.toLowerCase());
    if (key === undefined) continue;
    delete parent[key];
    const target = [...sent, key].join('.');
    warnings.push({ code: 'IgnoredField', target, message: `${target} is accepted and ignored: ${why}.` });
  }
  return { body: copy, warnings };
}
