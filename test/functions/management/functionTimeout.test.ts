import { beforeAll, describe, expect, it } from 'vitest';
import { functionTimeoutOf } from '../../../app/settings';
import { call, useTestStorage } from './call';

// A mini-batch timeout the Functions host would cut short (functionTimeout, host.json or its app
// setting override) is refused when the deployment is written, naming both values. The app is
// loaded with the host's override set to one minute; real Azurite behind the route handlers.

let ep: typeof import('../../../functions/management/endpoints');
let dep: typeof import('../../../functions/management/deployments');

beforeAll(async () => {
  useTestStorage('mgmtfunctiontimeout', { AzureFunctionsJobHost__functionTimeout: '00:01:00' });
  ep = await import('../../../functions/management/endpoints');
  dep = await import('../../../functions/management/deployments');
  const models = await import('../../../functions/management/models');
  await call(models.putModelVersion, {
    method: 'PUT',
    path: '',
    params: { name: 'onnx', version: '1' },
    body: { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/onnx/' } },
  });
  expect((await call(ep.putEndpoint, { method: 'PUT', path: 'batchEndpoints/ftimeout', params: { endpoint: 'ftimeout' }, body: { properties: {} } })).status).toBe(201);
});

const putDeployment = (name: string, retrySettings?: unknown) =>
  call(dep.putDeployment, {
    method: 'PUT',
    path: `batchEndpoints/ftimeout/deployments/${name}`,
    params: { endpoint: 'ftimeout', deployment: name },
    body: { properties: { model: 'azureml:onnx:1', ...(retrySettings ? { retrySettings } : {}) } },
  });

describe('deployment timeouts and the host functionTimeout', () => {
  it('a timeout not shorter than functionTimeout is a 400 naming both, and nothing is written', async () => {
    for (const timeout of ['PT2M', 'PT1M']) {
      const res = await putDeployment('long', { timeout });
      expect([res.status, res.body.error.code, res.body.error.target]).toEqual([400, 'ValidationError', 'properties.retrySettings.timeout']);
      expect(res.body.error.message).toContain(timeout);
      expect(res.body.error.message).toContain('functionTimeout of 00:01:00 (app setting AzureFunctionsJobHost__functionTimeout)');
    }
    const get = await call(dep.getDeployment, { method: 'GET', path: 'batchEndpoints/ftimeout/deployments/long', params: { endpoint: 'ftimeout', deployment: 'long' } });
    expect(get.status).toBe(404);
  });

  it('a shorter timeout, or the default (PT30S), is accepted', async () => {
    expect((await putDeployment('short', { maxRetries: 1, timeout: 'PT59S' })).status).toBe(201);
    expect((await putDeployment('default')).status).toBe(201);
  });

  it("is read from host.json when the app setting is absent (this app's: 00:30:00), and -1 means no limit", () => {
    expect(functionTimeoutOf({})).toEqual({ ms: 30 * 60_000, text: '00:30:00', source: 'host.json' });
    expect(functionTimeoutOf({ AzureFunctionsJobHost__functionTimeout: '-1' })).toBeUndefined();
    expect(functionTimeoutOf({ AzureFunctionsJobHost__functionTimeout: '1.02:00:00' })?.ms).toBe(26 * 3600_000);
    expect(() => functionTimeoutOf({ AzureFunctionsJobHost__functionTimeout: '30m' })).toThrow(/not a TimeSpan/);
  });
});
