import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiError } from '../../../lib/http/apiError';
import type { Caller } from '../../../lib/auth/caller';
import { openRegistry } from '../../../lib/registry/open';
import { deploymentsPartition } from '../../../lib/registry/keys';
import { Registry } from '../../../lib/registry/registry';
import { storageClients } from '../../../lib/storage/clients';
import { failure } from '../../support/failure';

const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
const bob: Caller = { oid: 'oid-b', tid: 'tid', name: 'bob' };


let registry: Registry;

beforeAll(() => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  registry = openRegistry(clients, { table: 'libregistrytest', workspaceBlobContainer: 'wsstore' });
});

describe('datastores', () => {
  it('has workspaceblobstore built in, pointing at the app account and the configured container', async () => {
    const ds = await registry.datastores.get('workspaceblobstore');
    expect(ds.isWorkspaceStore).toBe(true);
    expect(ds.containerName).toBe('wsstore');
    expect(ds.properties.accountName).toBe('devstoreaccount1');
    expect(ds.blobServiceUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect((await registry.datastores.list())[0]!.name).toBe('workspaceblobstore');
  });

  it('computes the blob service URL from account and endpoint unless serviceUri is set', async () => {
    await registry.datastores.put('other', { properties: { datastoreType: 'AzureBlob', accountName: 'acct', containerName: 'data' } }, alice);
    const ds = await registry.datastores.get('OTHER');
    expect(ds.blobServiceUri).toBe('https://acct.blob.core.windows.net');
    expect(ds.properties.credentials).toEqual({ credentialsType: 'None' });
  });
});

describe('assets', () => {
  it('resolves latest to the most recently created version', async () => {
    for (const v of ['1', '2', '10']) {
      await registry.data.put('heart', v, { properties: { dataType: 'uri_folder', dataUri: `azureml://datastores/workspaceblobstore/paths/heart/v${v}/` } }, alice);
    }
    expect((await registry.data.get('heart', 'latest')).version).toBe('10');
    expect((await registry.data.get('heart', '2')).properties.dataUri).toContain('/v2/');
    expect((await registry.data.get('heart', '1')).version).toBe('1');
    expect((await registry.data.list('heart')).map((d) => d.version)).toEqual(['10', '2', '1']);
    expect((await failure(registry.data.get('nothing', 'latest'))).status).toBe(404);
  });

  it('lets exactly one of many concurrent PUTs create a version', async () => {
    const body = (i: number) => ({ properties: { modelType: 'custom_model', modelUri: `azureml://datastores/workspaceblobstore/paths/m${i}` } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => registry.models.put('race', '1', body(i), alice)));
    const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
    expect(created).toHaveLength(1);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const r of refused) expect(((r as PromiseRejectedResult).reason as ApiError).status).toBe(409);
  });

  it('refuses a model whose datastore does not exist, naming the field', async () => {
    const err = await failure(registry.models.put('m', '1', { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/nope/paths/x' } }, alice));
    expect([err.status, err.code, err.target]).toEqual([400, 'InvalidReference', 'properties.modelUri']);
    expect(err.message).toContain("datastore 'nope'");
  });
});

describe('resolveDeployment', () => {
  beforeAll(async () => {
    await registry.models.put('onnx', '1', { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/onnx/' } }, alice);
    await registry.models.put('custom', '1', { properties: { modelType: 'custom_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/custom/' } }, alice);
    await registry.codes.put('score', '1', { properties: { codeUri: 'azureml://datastores/workspaceblobstore/paths/code/' } }, alice);
    await registry.endpoints.put('ep-resolve', { properties: {} }, alice);
  });

  it('fails clearly when no deployment is named and the endpoint has no default', async () => {
    await registry.deployments.put('ep-resolve', 'nocode', { properties: { model: 'azureml:onnx:1' } }, alice);
    const err = await failure(registry.resolveDeployment('ep-resolve'));
    expect([err.status, err.code]).toEqual([400, 'NoDefaultDeployment']);
    expect((await registry.resolveDeployment('ep-resolve', 'nocode')).code).toBeUndefined();
  });

  it('returns the default deployment with its model, code and effective settings', async () => {
    await registry.deployments.put(
      'ep-resolve',
      'scripted',
      {
        properties: {
          model: { referenceType: 'Id', assetId: 'azureml:custom@latest' },
          codeConfiguration: { codeId: 'azureml:score:1', scoringScript: 'src/score.js' },
          miniBatchSize: 5,
          retrySettings: { timeout: 'PT1M' },
          environmentVariables: { MODE: 'fast' },
        },
      },
      alice,
    );
    await registry.endpoints.patch('ep-resolve', { properties: { defaults: { deploymentName: 'SCRIPTED' } } }, bob);
    const r = await registry.resolveDeployment('ep-resolve');
    expect(r.endpoint.properties.defaults).toEqual({ deploymentName: 'scripted' });
    expect(r.endpoint.systemData).toMatchObject({ createdBy: 'alice', lastModifiedBy: 'bob' });
    expect(r.deployment.properties.model.assetId).toBe('azureml:custom:1');
    expect(r.model.properties.modelType).toBe('custom_model');
    expect(r.code?.properties.codeUri).toContain('/code/');
    expect(r.scoringScript).toBe('src/score.js');
    expect(r.settings).toEqual({
      miniBatchSize: 5,
      instanceCount: 1,
      maxConcurrencyPerInstance: 1,
      errorThreshold: -1,
      maxRetries: 3,
      timeout: 'PT1M',
      timeoutMs: 60_000,
      outputAction: 'AppendRow',
      outputFileName: 'predictions.csv',
      loggingLevel: 'Info',
      environmentVariables: { MODE: 'fast' },
    });
  });

  it('404s for an unknown endpoint or deployment', async () => {
    expect((await failure(registry.resolveDeployment('ep-none'))).status).toBe(404);
    expect((await failure(registry.resolveDeployment('ep-resolve', 'ghost'))).status).toBe(404);
  });
});

describe('endpoint re-creation', () => {
  it('does not inherit deployments left behind by a racing delete', async () => {
    const { store } = registry;
    const orphan = { properties: { model: { referenceType: 'Id', assetId: 'azureml:onnx:1' } } };
    await store.create(deploymentsPartition('orphan-ep'), 'blue', 'blue', orphan, alice);
    expect((await failure(registry.deployments.list('orphan-ep'))).status).toBe(404); // invisible without its endpoint
    await registry.endpoints.put('orphan-ep', {}, alice);
    expect(await registry.deployments.list('orphan-ep')).toEqual([]);
  });
});
