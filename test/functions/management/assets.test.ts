import { AUTH_DISABLED_CALLER } from '../../../lib/auth';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, useTestStorage } from './call';

let models: typeof import('../../../functions/management/models');
let codes: typeof import('../../../functions/management/codes');
let data: typeof import('../../../functions/management/data');

beforeAll(async () => {
  useTestStorage('mgmtassets');
  models = await import('../../../functions/management/models');
  codes = await import('../../../functions/management/codes');
  data = await import('../../../functions/management/data');
});

const modelBody = (path: string, extra: Record<string, unknown> = {}) => ({
  properties: { modelType: 'mlflow_model', modelUri: `azureml://datastores/workspaceblobstore/paths/${path}`, ...extra },
});

const putModel = (name: string, version: string, body: unknown) =>
  call(models.putModelVersion, { method: 'PUT', path: `models/${name}/versions/${version}`, params: { name, version }, body });

describe('models routes', () => {
  it('PUT creates a version (201) in the envelope; the same body again is an idempotent 200', async () => {
    const body = modelBody('heart/1/', { description: 'heart disease', tags: { team: 'cardio' } });
    const created = await putModel('heart', '1', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: '/api/models/heart/versions/1',
      name: '1',
      type: 'Microsoft.MachineLearningServices/workspaces/models/versions',
      properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/heart/1/', description: 'heart disease', tags: { team: 'cardio' } },
      systemData: { createdBy: AUTH_DISABLED_CALLER.name },
    });
    const again = await putModel('heart', '1', body);
    expect(again.status).toBe(200);
    expect(again.body.systemData.createdAt).toBe(created.body.systemData.createdAt);
  });

  it('versions are immutable: a different body for an existing version is 409 Conflict', async () => {
    await putModel('immutable', '1', modelBody('a/'));
    const res = await putModel('immutable', '1', modelBody('b/'));
    expect([res.status, res.body.error.code]).toEqual([409, 'Conflict']);
    expect(res.body.error.message).toMatch(/immutable/);
  });

  it('GET a version, latest, and the list newest first; 404 naming what is missing', async () => {
    await putModel('multi', '1', modelBody('m1/'));
    await putModel('multi', '2', modelBody('m2/', { modelType: 'CustomModel' }));
    const get = (version: string) => call(models.getModelVersion, { method: 'GET', path: `models/multi/versions/${version}`, params: { name: 'multi', version } });
    expect((await get('1')).body.properties.modelUri).toContain('/m1/');
    expect((await get('2')).body.properties.modelType).toBe('custom_model');
    expect((await get('latest')).body.name).toBe('2');
    const missing = await get('9');
    expect([missing.status, missing.body.error.code, missing.body.error.message]).toEqual([404, 'NotFound', "Model 'multi' version '9' was not found."]);
    const list = await call(models.listModelVersions, { method: 'GET', path: 'models/multi/versions', params: { name: 'multi' } });
    expect(list.body.value.map((v: { name: string }) => v.name)).toEqual(['2', '1']);
    const none = await call(models.listModelVersions, { method: 'GET', path: 'models/none/versions', params: { name: 'none' } });
    expect(none.body).toEqual({ value: [] });
  });

  it('refuses unknown fields, bad types and URIs, naming each field', async () => {
    const res = await putModel('bad', '1', {
      properties: { modelType: 'triton_model', modelUri: 'https://evil.example.com/m', flavors: {} },
      location: 'westeurope',
    });
    expect([res.status, res.body.error.code]).toEqual([400, 'ValidationError']);
    const messages: string[] = res.body.error.details.map((d: { message: string }) => d.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'properties.modelType must be one of mlflow_model, custom_model',
        expect.stringMatching(/^properties\.modelUri must be azureml:\/\/datastores/),
        'properties.flavors is not a known field',
      ]),
    );
    // location is Azure-only: taken out with a warning (lib/registry/azureOnly.ts), not an error
    expect(messages.some((m) => m.startsWith('location'))).toBe(false);
  });

  it('refuses the reserved version "latest" and bad names', async () => {
    const latest = await putModel('heart', 'latest', modelBody('x/'));
    expect([latest.status, latest.body.error.code, latest.body.error.target]).toEqual([400, 'InvalidName', 'version']);
    expect((await putModel('-bad', '1', modelBody('x/'))).body.error.code).toBe('InvalidName');
  });

  it('accepts an Azure blob https URL', async () => {
    const res = await putModel('remote', '1', { properties: { modelType: 'custom_model', modelUri: 'https://acct.blob.core.windows.net/models/remote/' } });
    expect(res.status).toBe(201);
  });
});

describe('codes routes', () => {
  it('PUT, GET and list a code version; missing codeUri is named', async () => {
    const body = { properties: { codeUri: 'azureml://datastores/workspaceblobstore/paths/code/score/' } };
    const put = await call(codes.putCodeVersion, { method: 'PUT', path: 'codes/score/versions/1', params: { name: 'score', version: '1' }, body });
    expect(put.status).toBe(201);
    expect(put.body.id).toBe('/api/codes/score/versions/1');
    const got = await call(codes.getCodeVersion, { method: 'GET', path: 'codes/score/versions/1', params: { name: 'score', version: '1' } });
    expect(got.body.properties).toEqual(body.properties);
    const list = await call(codes.listCodeVersions, { method: 'GET', path: 'codes/score/versions', params: { name: 'score' } });
    expect(list.body.value).toHaveLength(1);
    const bad = await call(codes.putCodeVersion, { method: 'PUT', path: 'codes/score/versions/2', params: { name: 'score', version: '2' }, body: { properties: {} } });
    expect(bad.body.error.message).toBe('properties.codeUri is required.');
  });
});

describe('data routes', () => {
  it('PUT versions, GET latest, refuse a missing datastore and an unknown dataType', async () => {
    const body = (v: string) => ({ properties: { dataType: 'uri_folder', dataUri: `azureml://datastores/workspaceblobstore/paths/heart/${v}/` } });
    for (const v of ['1', '2']) {
      const res = await call(data.putDataVersion, { method: 'PUT', path: `data/heart/versions/${v}`, params: { name: 'heart', version: v }, body: body(v) });
      expect(res.status).toBe(201);
    }
    const latest = await call(data.getDataVersion, { method: 'GET', path: 'data/heart/versions/latest', params: { name: 'heart', version: 'latest' } });
    expect([latest.body.name, latest.body.properties.dataType]).toEqual(['2', 'uri_folder']);
    const noStore = await call(data.putDataVersion, {
      method: 'PUT',
      path: 'data/x/versions/1',
      params: { name: 'x', version: '1' },
      body: { properties: { dataType: 'uri_file', dataUri: 'azureml://datastores/missing/paths/a.csv' } },
    });
    expect([noStore.status, noStore.body.error.code, noStore.body.error.target]).toEqual([400, 'InvalidReference', 'properties.dataUri']);
    const badType = await call(data.putDataVersion, {
      method: 'PUT',
      path: 'data/x/versions/1',
      params: { name: 'x', version: '1' },
      body: { properties: { dataType: 'mltable', dataUri: 'azureml://datastores/workspaceblobstore/paths/a/' } },
    });
    expect(badType.body.error.message).toBe('properties.dataType must be one of uri_folder, uri_file.');
  });
});
