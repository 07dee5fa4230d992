import type { TableClient } from '@azure/data-tables';
import { ApiError, notFound } from '../http/apiError';
import type { AssetVersion, AssetVersions } from './assets';
import { createCodes, type CodeProperties } from './codes';
import { createDataAssets, type DataProperties } from './data';
import { Datastores, type WorkspaceBlob } from './datastores';
import type { EffectiveSettings } from './deploymentSettings';
import { Deployments, type Deployment } from './deployments';
import { Endpoints, type Endpoint } from './endpoints';
import { createModels, type ModelProperties } from './models';
import { parseAssetId } from '../locations/references';
import { RegistryStore } from './store';

export interface RegistryOptions {
  table: TableClient;
  workspaceBlob: WorkspaceBlob;
  now?: () => Date;
}

/** Everything a job needs to know about the deployment it runs. */
export interface ResolvedDeployment {
  endpoint: Endpoint;
  deployment: Deployment;
  model: AssetVersion<ModelProperties>;
  /** Present when the deployment has a scoring script (always for custom_model). */
  code?: AssetVersion<CodeProperties>;
  scoringScript?: string;
  /** The deployment's settings (before per-invoke overrides). */
  settings: EffectiveSettings;
}

/** The management registry: every resource kind over one table. */
export class Registry {
  readonly store: RegistryStore;
  readonly datastores: Datastores;
  readonly models: AssetVersions<ModelProperties>;
  readonly codes: AssetVersions<CodeProperties>;
  readonly data: AssetVersions<DataProperties>;
  readonly endpoints: Endpoints;
  readonly deployments: Deployments;

  constructor(options: RegistryOptions) {
    this.store = new RegistryStore({ table: options.table, ...(options.now ? { now: options.now } : {}) });
    this.datastores = new Datastores(this.store, options.workspaceBlob);
    this.models = createModels(this.store, this.datastores);
    this.codes = createCodes(this.store, this.datastores);
    this.data = createDataAssets(this.store, this.datastores);
    this.endpoints = new Endpoints(this.store);
    this.deployments = new Deployments(this.store, this.endpoints, this.models, this.codes);
  }

  /**
   * The deployment an invoke runs: the named one (e.g. from the `azureml-model-deployment`
   * header) or the endpoint's default, with its model, code and effective settings.
   * 404 for a missing endpoint or deployment; 400 NoDefaultDeployment when none is named and
   * the endpoint has no default (Azure ML does not pick one on its own).
   */
  async resolveDeployment(endpointName: string, deploymentName?: string): Promise<ResolvedDeployment> {
    const endpoint = await this.endpoints.get(endpointName);
    const name = deploymentName || endpoint.properties.defaults?.deploymentName;
    if (!name) {
      throw new ApiError(
        400,
        'NoDefaultDeployment',
        `Batch endpoint '${endpoint.name}' has no default deployment: set properties.defaults.deploymentName ` +
          `(PATCH /api/batchEndpoints/${endpoint.name}) or name one in the 'azureml-model-deployment' header.`,
      );
    }
    const deployment = await this.deployments.tryGetIn(endpoint, name);
    if (!deployment) throw notFound(`Deployment '${name}' of batch endpoint '${endpoint.name}'`, 'deploymentName');
    const modelRef = parseAssetId(deployment.properties.model.assetId, 'models')!;
    const model = await this.models.get(modelRef.name, modelRef.version);
    const cc = deployment.properties.codeConfiguration;
    if (!cc) return { endpoint, deployment, model, settings: deployment.settings };
    const codeRef = parseAssetId(cc.codeId, 'codes')!;
    const code = await this.codes.get(codeRef.name, codeRef.version);
    return { endpoint, deployment, model, code, scoringScript: cc.scoringScript, settings: deployment.settings };
  }
}
