import { AUTH_DISABLED_CALLER } from '../../../lib/auth';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, useTestStorage } from './call';

let ep: typeof import('../../../functions/management/endpoints');
let dep: typeof import('../../../functions/management/deployments');
let models: typeof import('../../../functions/management/models');
let codes: typeof import('../../../functions/management/codes');

beforeAll(async () => {
  useTestStorage('mgmtendpoints');
  ep = await import('../../../functions/management/endpoints');
  dep = await import('../../../functions/management/deployments');
  models = await import('../../../functions/management/models');
  codes = await import('../../../functions/management/codes');
  const uri = (p: string) => `azureml://datastores/workspaceblobstore/paths/${p}`;
  for (const [name, modelType] of [['onnx', 'mlflow_model'], ['custom', 'custom_model']] as const) {
    await call(models.putModelVersion, { method: 'PUT', path: '', params: { name, version: '1' }, body: { properties: { modelType, modelUri: uri(`${name}/`) } } });
  }
  await call(codes.putCodeVersion, { method: 'PUT', path: '', params: { name: 'score', version: '1' }, body: { properties: { codeUri: uri('code/') } } });
});

const putEndpoint = (endpoint: string, body: unknown) =>
  call(ep.putEndpoint, { method: 'PUT', path: `batchEndpoints/${endpoint}`, params: { endpoint }, body });
const patchEndpoint = (endpoint: string, body: unknown) =>
  call(ep.patchEndpoint, { method: 'PATCH', path: `batchEndpoints/${endpoint}`, params: { endpoint }, body });
const getEndpoint = (endpoint: string) => call(ep.getEndpoint, { method: 'GET', path: `batchEndpoints/${endpoint}`, params: { endpoint } });
const putDeployment = (endpoint: string, deployment: string, body: unknown) =>
  call(dep.putDeployment, { method: 'PUT', path: `batchEndpoints/${endpoint}/deployments/${deployment}`, params: { endpoint, deployment }, body });
const getDeployment = (endpoint: string, deployment: string) =>
  call(dep.getDeployment, { method: 'GET', path: `batchEndpoints/${endpoint}/deployments/${deployment}`, params: { endpoint, deployment } });
const deleteDeployment = (endpoint: string, deployment: string) =>
  call(dep.deleteDeployment, { method: 'DELETE', path: `batchEndpoints/${endpoint}/deployments/${deployment}`, params: { endpoint, deployment } });

describe('batch endpoint routes', () => {
  it('PUT creates with defaults and adds scoringUri and provisioningState', async () => {
    const res = await putEndpoint('heart-ep', { tags: { team: 'cardio' }, properties: { description: 'heart scoring' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: '/api/batchEndpoints/heart-ep',
      name: 'heart-ep',
      type: 'Microsoft.MachineLearningServices/workspaces/batchEndpoints',
      tags: { team: 'cardio' },
      properties: {
        description: 'heart scoring',
        authMode: 'AADToken',
        scoringUri: 'http://localhost:7071/api/batchEndpoints/heart-ep/jobs',
        provisioningState: 'Succeeded',
      },
      systemData: expect.objectContaining({ createdBy: AUTH_DISABLED_CALLER.name, lastModifiedBy: AUTH_DISABLED_CALLER.name }),
    });
    expect((await putEndpoint('heart-ep', { properties: {} })).status).toBe(200);
    expect((await getEndpoint('HEART-EP')).body.name).toBe('heart-ep');
  });

  it('refuses other auth modes, unknown and PascalCase fields, bad names', async () => {
    const res = await putEndpoint('bad-ep', { Properties: {}, properties: { authMode: 'Key', defaults: { deploymentName: 'blue', extra: 1 } } });
    expect(res.status).toBe(400);
    const messages: string[] = res.body.error.details.map((d: { message: string }) => d.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'Properties is not a known field',
        expect.stringMatching(/^properties\.authMode must be "AADToken"/),
        'properties.defaults.extra is not a known field',
      ]),
    );
    const name = await putEndpoint('1-starts-with-digit', {});
    expect([name.status, name.body.error.code, name.body.error.target]).toEqual([400, 'InvalidName', 'endpoint name']);
  });

  it('GET unknown endpoint is 404 naming it; list shows endpoints', async () => {
    const res = await getEndpoint('nope-ep');
    expect([res.status, res.body.error.message]).toEqual([404, "Batch endpoint 'nope-ep' was not found."]);
    const list = await call(ep.listEndpoints, { method: 'GET', path: 'batchEndpoints' });
    expect(list.body.value.map((e: { name: string }) => e.name)).toContain('heart-ep');
  });
});

describe('batch deployment routes', () => {
  it('PUT applies the Azure ML defaults and normalizes the model reference', async () => {
    await putEndpoint('dep-ep', {});
    const res = await putDeployment('dep-ep', 'blue', { properties: { model: 'azureml:onnx@latest' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: '/api/batchEndpoints/dep-ep/deployments/blue',
      name: 'blue',
      type: 'Microsoft.MachineLearningServices/workspaces/batchEndpoints/deployments',
      properties: {
        model: { referenceType: 'Id', assetId: 'azureml:onnx:1' },
        miniBatchSize: 10,
        resources: { instanceCount: 1 },
        maxConcurrencyPerInstance: 1,
        errorThreshold: -1,
        retrySettings: { maxRetries: 3, timeout: 'PT30S' },
        outputAction: 'AppendRow',
        outputFileName: 'predictions.csv',
        loggingLevel: 'Info',
        environmentVariables: {},
        provisioningState: 'Succeeded',
      },
    });
    expect(res.body.properties.codeConfiguration).toBeUndefined();
    expect((await getDeployment('dep-ep', 'blue')).body.properties.model.assetId).toBe('azureml:onnx:1');
  });

  it('a custom_model needs codeConfiguration; model and code must exist (400 naming which)', async () => {
    await putEndpoint('ref-ep', {});
    const noCode = await putDeployment('ref-ep', 'green', { properties: { model: 'azureml:custom:1' } });
    expect([noCode.status, noCode.body.error.target]).toEqual([400, 'properties.codeConfiguration']);
    const noModel = await putDeployment('ref-ep', 'green', { properties: { model: 'azureml:ghost:1' } });
    expect([noModel.status, noModel.body.error.code, noModel.body.error.target]).toEqual([400, 'InvalidReference', 'properties.model']);
    expect(noModel.body.error.message).toContain("model 'ghost' version '1' does not exist");
    const noCodeAsset = await putDeployment('ref-ep', 'green', {
      properties: { model: 'azureml:custom:1', codeConfiguration: { codeId: 'azureml:ghost:2', scoringScript: 'score.js' } },
    });
    expect([noCodeAsset.status, noCodeAsset.body.error.target]).toEqual([400, 'properties.codeConfiguration.codeId']);
    const pyScript = await putDeployment('ref-ep', 'green', {
      properties: { model: 'azureml:custom:1', codeConfiguration: { codeId: 'azureml:score:1', scoringScript: '../score.py' } },
    });
    expect(pyScript.body.error.details.map((d: { message: string }) => d.message)).toEqual([
      expect.stringMatching(/^properties\.codeConfiguration\.scoringScript must be a relative path/),
      expect.stringMatching(/^properties\.codeConfiguration\.scoringScript must be a JavaScript module/),
    ]);
    const ok = await putDeployment('ref-ep', 'green', {
      tags: { v: '2' },
      properties: {
        model: { referenceType: 'Id', assetId: '/api/models/custom/versions/1' },
        codeConfiguration: { codeId: 'azureml:score:1', scoringScript: 'score.js' },
        outputAction: 'summary_only',
        retrySettings: { maxRetries: 0, timeout: 'PT5M' },
      },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.tags).toEqual({ v: '2' });
    expect(ok.body.properties).toMatchObject({
      model: { assetId: 'azureml:custom:1' },
      codeConfiguration: { codeId: 'azureml:score:1', scoringScript: 'score.js' },
      outputAction: 'SummaryOnly',
      retrySettings: { maxRetries: 0, timeout: 'PT5M' },
    });
  });

  it('deployment routes 404 for an unknown endpoint or deployment', async () => {
    const res = await putDeployment('ghost-ep', 'blue', { properties: { model: 'azureml:onnx:1' } });
    expect([res.status, res.body.error.message]).toEqual([404, "Batch endpoint 'ghost-ep' was not found."]);
    const missing = await getDeployment('dep-ep', 'nothing');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NotFound']);
  });

  it('the default must be an existing deployment; PATCH sets it; the default cannot be deleted', async () => {
    await putEndpoint('default-ep', {});
    const unknown = await patchEndpoint('default-ep', { properties: { defaults: { deploymentName: 'blue' } } });
    expect([unknown.status, unknown.body.error.target]).toEqual([400, 'properties.defaults.deploymentName']);
    const onPut = await putEndpoint('default-ep', { properties: { defaults: { deploymentName: 'blue' } } });
    expect(onPut.status).toBe(400);

    await putDeployment('default-ep', 'blue', { properties: { model: 'azureml:onnx:1' } });
    await putDeployment('default-ep', 'green', { properties: { model: 'azureml:onnx:1' } });
    expect((await getEndpoint('default-ep')).body.properties.defaults).toBeUndefined(); // as in Azure ML: not automatic

    const patched = await patchEndpoint('default-ep', { tags: { t: '1' }, properties: { defaults: { deploymentName: 'blue' } } });
    expect(patched.status).toBe(200);
    expect(patched.body.properties.defaults).toEqual({ deploymentName: 'blue' });
    const described = await patchEndpoint('default-ep', { properties: { description: 'kept default' } });
    expect(described.body.properties).toMatchObject({ description: 'kept default', defaults: { deploymentName: 'blue' } });
    expect(described.body.tags).toEqual({ t: '1' });

    const refused = await deleteDeployment('default-ep', 'blue');
    expect([refused.status, refused.body.error.code]).toEqual([409, 'DeploymentIsDefault']);
    expect((await deleteDeployment('default-ep', 'green')).status).toBe(200);
    expect((await deleteDeployment('default-ep', 'green')).status).toBe(204);
    const list = await call(dep.listDeployments, { method: 'GET', path: '', params: { endpoint: 'default-ep' } });
    expect(list.body.value.map((d: { name: string }) => d.name)).toEqual(['blue']);

    const missing = await patchEndpoint('nope-ep', { properties: {} });
    expect(missing.status).toBe(404);
  });

  it('DELETE of an endpoint deletes its deployments too', async () => {
    await putEndpoint('cascade-ep', {});
    await putDeployment('cascade-ep', 'blue', { properties: { model: 'azureml:onnx:1' } });
    await patchEndpoint('cascade-ep', { properties: { defaults: { deploymentName: 'blue' } } });
    const del = await call(ep.deleteEndpoint, { method: 'DELETE', path: '', params: { endpoint: 'cascade-ep' } });
    expect(del.status).toBe(200);
    expect((await getEndpoint('cascade-ep')).status).toBe(404);
    // Re-created under the same name, it starts without the old deployments.
    await putEndpoint('cascade-ep', {});
    const list = await call(dep.listDeployments, { method: 'GET', path: '', params: { endpoint: 'cascade-ep' } });
    expect(list.body.value).toEqual([]);
    const again = await call(ep.deleteEndpoint, { method: 'DELETE', path: '', params: { endpoint: 'gone-ep' } });
    expect(again.status).toBe(204);
  });
});
