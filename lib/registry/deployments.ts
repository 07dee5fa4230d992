import { z } from 'zod';
import { ApiError, notFound } from '../http/apiError';
import { envelope, type ResourceEnvelope, type SystemData } from '../http/envelope';
import type { AssetVersions } from './assets';
import type { Caller } from '../auth/caller';
import type { CodeProperties } from './codes';
import { deploymentSettingsShape, effectiveSettings, type EffectiveSettings } from './deploymentSettings';
import type { Endpoints } from './endpoints';
import { deploymentsPartition } from './keys';
import type { ModelProperties } from './models';
import { checkName, deploymentNameSchema, keyOf } from './names';
import { assetIdOf, parseAssetId } from '../locations/references';
import { systemDataOf, type RegistryStore, type StoredRecord } from './store';
import { parseOrThrow, stringMap } from './validation';

const TYPE = 'Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments';

const modelIdSchema = z
  .string()
  .refine((v) => parseAssetId(v, 'models') !== undefined, 'must be azureml:<name>:<version>, azureml:<name>@latest or a model version id');

// Azure ML's AssetReference ({ referenceType: 'Id', assetId }); the CLI's plain string is accepted too.
const modelRefSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { referenceType: 'Id', assetId: v } : v),
  z.strictObject({
    referenceType: z.literal('Id', { error: 'must be "Id"' }).default('Id'),
    assetId: modelIdSchema,
  }),
);

/** A relative path inside the code folder to a Node module. */
const scoringScriptSchema = z
  .string()
  .refine(
    (v) => !v.startsWith('/') && !v.includes('\\') && v.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'must be a relative path inside the code folder (no leading "/", no "." or ".." segments)',
  )
  .refine((v) => /\.(?:c|m)?js$/.test(v), 'must be a JavaScript module (.js, .mjs or .cjs): scoring scripts run on Node');

const codeConfigurationSchema = z.strictObject({
  codeId: z
    .string()
    .refine((v) => parseAssetId(v, 'codes') !== undefined, 'must be azureml:<name>:<version>, azureml:<name>@latest or a code version id'),
  scoringScript: scoringScriptSchema,
});

export const deploymentPropertiesSchema = z.strictObject({
  description: z.string().optional(),
  properties: stringMap.optional(),
  model: modelRefSchema,
  codeConfiguration: codeConfigurationSchema.optional(),
  ...deploymentSettingsShape,
});

export const deploymentBodySchema = z.strictObject({
  tags: stringMap.optional(),
  properties: deploymentPropertiesSchema,
});

export type DeploymentProperties = z.output<typeof deploymentPropertiesSchema>;

export interface Deployment {
  endpointName: string;
  name: string;
  /** Validated, with defaults applied; model and codeId are `azureml:<name>:<version>` with concrete versions. */
  properties: DeploymentProperties;
  tags?: Record<string, string>;
  systemData: SystemData;
  /** The deployment's settings flattened for a job (before invoke overrides). */
  settings: EffectiveSettings;
}

export type DeploymentView = DeploymentProperties & { provisioningState: 'Succeeded' };

/**
 * Batch deployments of an endpoint. Models and code are resolved when the deployment is written
 * (`@latest` becomes a concrete version), so a job always runs what was deployed.
 */
export class Deployments {
  constructor(
    private readonly store: RegistryStore,
    private readonly endpoints: Endpoints,
    private readonly models: AssetVersions<ModelProperties>,
    private readonly codes: AssetVersions<CodeProperties>,
  ) {}

  private fromRecord(endpointName: string, r: StoredRecord<DeploymentProperties>): Deployment {
    return {
      endpointName,
      name: r.name,
      properties: r.doc.properties,
      ...(r.doc.tags ? { tags: r.doc.tags } : {}),
      systemData: systemDataOf(r),
      settings: effectiveSettings(r.doc.properties),
    };
  }

  /** The deployment, or undefined (the endpoint must exist: 404 otherwise). */
  async tryGet(endpoint: string, name: string): Promise<Deployment | undefined> {
    return this.tryGetIn(await this.endpoints.get(endpoint), name);
  }

  /** The deployment of an endpoint already read, or undefined. */
  async tryGetIn(endpoint: { name: string }, name: string): Promise<Deployment | undefined> {
    const r = await this.store.get<DeploymentProperties>(deploymentsPartition(endpoint.name), keyOf(name));
    return r && this.fromRecord(endpoint.name, r);
  }

  async get(endpoint: string, name: string): Promise<Deployment> {
    const d = await this.tryGet(endpoint, name);
    if (!d) throw notFound(`Deployment '${name}' of batch endpoint '${endpoint}'`, 'deploymentName');
    return d;
  }

  async list(endpoint: string): Promise<Deployment[]> {
    const e = await this.endpoints.get(endpoint);
    const rows = await this.store.list<DeploymentProperties>(deploymentsPartition(e.name));
    return rows.map((r) => this.fromRecord(e.name, r)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates or replaces a deployment; the model (and code) must be registered. */
  async put(endpoint: string, name: string, body: unknown, caller: Caller): Promise<{ deployment: Deployment; created: boolean }> {
    checkName(deploymentNameSchema, name, 'deployment name');
    const e = await this.endpoints.get(endpoint);
    const { tags, properties } = parseOrThrow(deploymentBodySchema, body);

    const modelRef = parseAssetId(properties.model.assetId, 'models')!;
    const model = await this.models.resolve(modelRef.name, modelRef.version, 'properties.model');
    properties.model = { referenceType: 'Id', assetId: assetIdOf(model.name, model.version) };

    if (properties.codeConfiguration) {
      const codeRef = parseAssetId(properties.codeConfiguration.codeId, 'codes')!;
      const code = await this.codes.resolve(codeRef.name, codeRef.version, 'properties.codeConfiguration.codeId');
      properties.codeConfiguration = { ...properties.codeConfiguration, codeId: assetIdOf(code.name, code.version) };
    } else if (model.properties.modelType === 'custom_model') {
      const field = 'properties.codeConfiguration';
      throw new ApiError(
        400,
        'ValidationError',
        `${field} is required: model '${model.name}' is a custom_model, which needs a scoring script ` +
          '(only mlflow_model models can be deployed without code).',
        field,
        [{ code: 'InvalidField', target: field, message: `${field} is required for custom_model models` }],
      );
    }

    const doc = { properties, ...(tags ? { tags } : {}) };
    const { record, created } = await this.store.put(deploymentsPartition(e.name), keyOf(name), name, doc, caller);
    return { deployment: this.fromRecord(e.name, record), created };
  }

  /** Deletes a deployment; false when it did not exist. The endpoint's default cannot be deleted (409). */
  async delete(endpoint: string, name: string): Promise<boolean> {
    const e = await this.endpoints.get(endpoint);
    const current = e.properties.defaults?.deploymentName;
    if (current && keyOf(current) === keyOf(name)) {
      throw new ApiError(
        409,
        'DeploymentIsDefault',
        `Deployment '${name}' is the default of batch endpoint '${e.name}': make another deployment the default ` +
          '(PATCH properties.defaults.deploymentName), clear the default (PUT the endpoint without defaults), ' +
          'or delete the endpoint.',
        'deploymentName',
      );
    }
    return this.store.delete(deploymentsPartition(e.name), keyOf(name));
  }

  envelope(d: Deployment): ResourceEnvelope<DeploymentView> {
    return envelope({
      id: `/api/batchEndpoints/${d.endpointName}/deployments/${d.name}`,
      name: d.name,
      type: TYPE,
      tags: d.tags,
      properties: { ...d.properties, provisioningState: 'Succeeded' },
      systemData: d.systemData,
    });
  }
}
