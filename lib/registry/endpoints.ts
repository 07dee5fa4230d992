import { z } from 'zod';
import { ApiError, notFound } from '../http/apiError';
import { envelope, type ResourceEnvelope, type SystemData } from '../http/envelope';
import type { Caller } from '../auth/caller';
import { deploymentsPartition, ENDPOINTS_PARTITION } from './keys';
import { checkName, deploymentNameSchema, endpointNameSchema, keyOf } from './names';
import { systemDataOf, type RegistryStore, type StoredRecord } from './store';
import { parseOrThrow, stringMap } from './validation';

const TYPE = 'Microsoft.MachineLearningServices/workspaces/batchEndpoints';

const defaultsSchema = z.strictObject({ deploymentName: deploymentNameSchema.optional() });

export const endpointPropertiesSchema = z.strictObject({
  description: z.string().optional(),
  // Any casing (`aadToken` in Azure ML's REST sample, `aad_token` in YAML), stored as AADToken.
  authMode: z.preprocess(
    (v) => (typeof v === 'string' && v.toLowerCase().replace(/[_\s-]/g, '') === 'aadtoken' ? 'AADToken' : v),
    z.literal('AADToken', { error: 'must be "AADToken" (Entra ID tokens are the only supported auth mode)' }).default('AADToken'),
  ),
  defaults: defaultsSchema.optional(),
  properties: stringMap.optional(),
});

// ARM shape: tags at the top, settings under properties.
export const endpointBodySchema = z.strictObject({
  tags: stringMap.optional(),
  properties: endpointPropertiesSchema.prefault({}),
});

/** PATCH: every member optional; given members replace, objects (properties, defaults) merge. */
export const endpointPatchSchema = z.strictObject({
  tags: stringMap.optional(),
  properties: endpointPropertiesSchema.partial().optional(),
});

export type EndpointProperties = z.output<typeof endpointPropertiesSchema>;

export interface Endpoint {
  name: string;
  properties: EndpointProperties;
  tags?: Record<string, string>;
  systemData: SystemData;
}

/** Response properties: Azure ML adds the scoring URI and provisioning state. */
export type EndpointView = EndpointProperties & { scoringUri: string; provisioningState: 'Succeeded' };

const fromRecord = (r: StoredRecord<EndpointProperties>): Endpoint => ({
  name: r.name,
  properties: r.doc.properties,
  ...(r.doc.tags ? { tags: r.doc.tags } : {}),
  systemData: systemDataOf(r),
});

/**
 * Batch endpoints. As in Azure ML, the first deployment does not become the default on its own:
 * `defaults.deploymentName` is set explicitly (PUT or PATCH) and must name an existing deployment.
 */
export class Endpoints {
  constructor(private readonly store: RegistryStore) {}

  async tryGet(name: string): Promise<Endpoint | undefined> {
    const r = await this.store.get<EndpointProperties>(ENDPOINTS_PARTITION, keyOf(name));
    return r && fromRecord(r);
  }

  async get(name: string): Promise<Endpoint> {
    const e = await this.tryGet(name);
    if (!e) throw notFound(`Batch endpoint '${name}'`, 'endpointName');
    return e;
  }

  async list(): Promise<Endpoint[]> {
    const rows = await this.store.list<EndpointProperties>(ENDPOINTS_PARTITION);
    return rows.map(fromRecord).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates or replaces an endpoint (replace: members left out are cleared, as PUT does in ARM). */
  async put(name: string, body: unknown, caller: Caller): Promise<{ endpoint: Endpoint; created: boolean }> {
    checkName(endpointNameSchema, name, 'endpoint name');
    const { tags, properties } = parseOrThrow(endpointBodySchema, body);
    await this.checkDefault(name, properties);
    // A deployment written while its endpoint was being deleted can outlive it (no cross-partition
    // transaction); a new endpoint must not inherit such leftovers.
    if (!(await this.tryGet(name))) await this.store.deletePartition(deploymentsPartition(name));
    const doc = { properties, ...(tags ? { tags } : {}) };
    const { record, created } = await this.store.put(ENDPOINTS_PARTITION, keyOf(name), name, doc, caller);
    return { endpoint: fromRecord(record), created };
  }

  /** Merges a PATCH body into an existing endpoint; re-applied on a fresh read if it raced another write. */
  async patch(name: string, body: unknown, caller: Caller): Promise<Endpoint> {
    const patch = parseOrThrow(endpointPatchSchema, body);
    for (let attempt = 0; ; attempt++) {
      const current = await this.store.get<EndpointProperties>(ENDPOINTS_PARTITION, keyOf(name));
      if (!current) throw notFound(`Batch endpoint '${name}'`, 'endpointName');
      const old = current.doc.properties;
      const next = patch.properties ?? {};
      const properties: EndpointProperties = {
        ...old,
        ...next,
        ...(next.defaults ? { defaults: { ...old.defaults, ...next.defaults } } : {}),
      };
      await this.checkDefault(name, properties);
      const tags = patch.tags ?? current.doc.tags;
      try {
        return fromRecord(await this.store.replace(current, { properties, ...(tags ? { tags } : {}) }, caller));
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409) || attempt >= 2) throw err;
      }
    }
  }

  /** Deletes the endpoint and its deployments; false when the endpoint did not exist. */
  async delete(name: string): Promise<boolean> {
    // Deployments first: a failure half way leaves an endpoint that can be deleted again,
    // never deployments without their endpoint (DELETE of a missing endpoint still cleans them).
    await this.store.deletePartition(deploymentsPartition(name));
    return this.store.delete(ENDPOINTS_PARTITION, keyOf(name));
  }

  /** The default deployment must exist; its stored name takes the deployment's own casing. */
  private async checkDefault(endpoint: string, properties: EndpointProperties): Promise<void> {
    const wanted = properties.defaults?.deploymentName;
    if (!wanted) return;
    const d = await this.store.get(deploymentsPartition(endpoint), keyOf(wanted));
    if (!d) {
      const field = 'properties.defaults.deploymentName';
      const message = `${field}: deployment '${wanted}' does not exist in batch endpoint '${endpoint}'.`;
      throw new ApiError(400, 'InvalidReference', message, field);
    }
    properties.defaults = { deploymentName: d.name };
  }

  envelope(e: Endpoint, baseUrl: string): ResourceEnvelope<EndpointView> {
    const id = `/api/batchEndpoints/${e.name}`;
    return envelope({
      id,
      name: e.name,
      type: TYPE,
      tags: e.tags,
      properties: { ...e.properties, scoringUri: `${baseUrl.replace(/\/+$/, '')}${id}/jobs`, provisioningState: 'Succeeded' },
      systemData: e.systemData,
    });
  }
}
