import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020';
import { HOST_KEYS } from '../../scripts/support/appStack';
import { AppStack, startApp, samplesDir } from '../support/appHost';

// The contract: GET /api/openapi.json (3.1) and /api/swagger.json (2.0) validate with a real parser,
// list every HTTP route the host registered (a route added without a description fails here), and
// a request and response of every route conform to the 3.1 document's schemas.

let app: AppStack;
let v31: any;
let v2: any;
let deref: any;
const ajv = new Ajv2020({ strict: false, allErrors: true });

interface Registered {
  name: string;
  route: string;
  methods: string[];
}
let registered: Registered[];

beforeAll(async () => {
  app = await startApp();
  const fns = (await (await fetch(`${app.host.url}/admin/functions?code=${HOST_KEYS.masterKey}`)).json()) as any[];
  registered = fns
    .map((f) => ({ name: f.name, trigger: f.config.bindings.find((b: any) => b.type === 'httpTrigger') }))
    // The catch-all (`{*path}`) answers unknown routes with the error shape: not an operation.
    .filter((f) => f.trigger && f.name !== 'catch-all')
    .map((f) => ({ name: f.name, route: f.trigger.route ?? f.name, methods: (f.trigger.methods ?? ['GET', 'POST']).map((m: string) => m.toLowerCase()) }));
  v31 = await (await fetch(`${app.host.url}/api/openapi.json`)).json();
  v2 = await (await fetch(`${app.host.url}/api/swagger.json`)).json();
  deref = await SwaggerParser.dereference(structuredClone(v31));
});
afterAll(async () => {
  await app?.stop();
});

const pathOf = (route: string) => `/api/${route.replace(/\{([^}:?]+)[^}]*\}/g, '{$1}')}`;

/** Checks a request body and a response against the 3.1 document; returns the response body. */
async function conforms(method: string, route: string, path: string, body?: unknown, headers: Record<string, string> = {}, bodyValid = true): Promise<any> {
  const operation = deref.paths[pathOf(route)]?.[method.toLowerCase()];
  expect(operation, `${method} ${route} is described`).toBeDefined();
  if (body !== undefined) {
    const schema = operation.requestBody.content['application/json'].schema;
    const ok = ajv.validate(schema, body);
    expect(ok, `${method} ${route} request: ${ajv.errorsText()}`).toBe(bodyValid);
  }
  const res = await app.api(method, path, body, { headers });
  const described = operation.responses[String(res.status)] ?? operation.responses.default;
  expect(operation.responses[String(res.status)] ?? (res.status >= 400 ? described : undefined), `${method} ${route} answered ${res.status}, which is not described`).toBeDefined();
  const content = described.content?.['application/json'];
  if (content && res.body !== undefined && typeof res.body === 'object') {
    const ok = ajv.validate(content.schema, res.body);
    expect(ok, `${method} ${route} ${res.status} response: ${ajv.errorsText()}`).toBe(true);
  }
  return res;
}

describe('the OpenAPI documents', () => {
  it('validate with a real parser (OpenAPI 3.1 and 2.0)', async () => {
    await expect(SwaggerParser.validate(structuredClone(v31))).resolves.toBeTruthy();
    await expect(SwaggerParser.validate(structuredClone(v2))).resolves.toBeTruthy();
    expect(v31.openapi).toBe('3.1.0');
    expect(v2.swagger).toBe('2.0');
  });

  it('describe every HTTP route the host registered, in both versions', () => {
    expect(registered.length).toBeGreaterThan(25);
    const missing = (doc: any) => registered.flatMap((r) => r.methods.filter((m) => !doc.paths[pathOf(r.route)]?.[m]).map((m) => `${m.toUpperCase()} ${r.route} (${r.name})`));
    expect(missing(v31)).toEqual([]);
    expect(missing(v2)).toEqual([]);
    // And nothing that is not registered.
    const documented = Object.entries(v31.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m} ${p}`));
    const real = new Set(registered.flatMap((r) => r.methods.map((m) => `${m} ${pathOf(r.route)}`)));
    expect(documented.filter((d) => !real.has(d))).toEqual([]);
  });

  it('give every operation the error shape', () => {
    for (const [path, ops] of Object.entries(v31.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        expect(op.responses.default?.$ref, `${method} ${path}`).toBe('#/components/responses/Error');
        expect(v2.paths[path][method].responses.default.schema.$ref).toBe('#/definitions/ErrorResponse');
      }
    }
    expect(v31.components.schemas.ErrorResponse.properties.error.required).toEqual(['code', 'message']);
  });

  it('the 2.0 document is what a custom connector accepts: under 1 MB, x-ms-summary, x-ms-visibility, Entra OAuth first', () => {
    expect(Buffer.byteLength(JSON.stringify(v2))).toBeLessThan(1024 * 1024);
    const [first] = Object.values(v2.securityDefinitions) as any[];
    expect(first).toMatchObject({ type: 'oauth2', flow: 'accessCode', authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/authorize' });
    for (const [path, ops] of Object.entries(v2.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, any>)) {
        expect(['important', 'advanced', 'internal'], `${method} ${path}`).toContain(op['x-ms-visibility']);
        expect(op.summary.length).toBeLessThanOrEqual(80);
        for (const p of op.parameters) expect(p['x-ms-summary'], `${method} ${path} ${p.name}`).toBeTruthy();
      }
    }
    expect(v2.paths['/api/batchEndpoints/{endpoint}/jobs'].post['x-ms-visibility']).toBe('important');
  });

  it('a request and response of every route conform to the 3.1 schemas', async () => {
    const ds = 'azureml://datastores/workspaceblobstore/paths';
    await app.upload('contract/model', join(samplesDir, 'model'));
    await app.upload('contract/data', join(samplesDir, 'data'), (n) => n.endsWith('.csv'));
    await app.upload('contract/score', join(samplesDir, 'score'));
    await conforms('GET', 'health', 'health');
    await conforms('GET', 'openapi.json', 'openapi.json');
    await conforms('GET', 'swagger.json', 'swagger.json');
    await conforms('PUT', 'datastores/{name}', 'datastores/extra', { properties: { datastoreType: 'AzureBlob', accountName: 'devstoreaccount1', containerName: 'extra', serviceUri: 'http://127.0.0.1:10000/devstoreaccount1' } });
    await conforms('GET', 'datastores/{name}', 'datastores/extra');
    await conforms('GET', 'datastores', 'datastores');
    await conforms('DELETE', 'datastores/{name}', 'datastores/extra');
    await conforms('PUT', 'models/{name}/versions/{version}', 'models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/contract/model` } });
    await conforms('GET', 'models/{name}/versions/{version}', 'models/iris/versions/1');
    await conforms('GET', 'models/{name}/versions', 'models/iris/versions');
    await conforms('PUT', 'codes/{name}/versions/{version}', 'codes/score/versions/1', { properties: { codeUri: `${ds}/contract/score` } });
    await conforms('GET', 'codes/{name}/versions/{version}', 'codes/score/versions/1');
    await conforms('GET', 'codes/{name}/versions', 'codes/score/versions');
    await conforms('PUT', 'data/{name}/versions/{version}', 'data/rows/versions/1', { properties: { dataType: 'uri_folder', dataUri: `${ds}/contract/data/` } });
    await conforms('GET', 'data/{name}/versions/{version}', 'data/rows/versions/1');
    await conforms('GET', 'data/{name}/versions', 'data/rows/versions');
    await conforms('PUT', 'batchEndpoints/{endpoint}', 'batchEndpoints/contract', { properties: { description: 'contract test' } });
    await conforms('PUT', 'batchEndpoints/{endpoint}/deployments/{deployment}', 'batchEndpoints/contract/deployments/onnx', { properties: { model: { referenceType: 'Id', assetId: 'azureml:iris:1' }, miniBatchSize: 2 } });
    await conforms('PATCH', 'batchEndpoints/{endpoint}', 'batchEndpoints/contract', { properties: { defaults: { deploymentName: 'onnx' } } });
    await conforms('GET', 'batchEndpoints/{endpoint}', 'batchEndpoints/contract');
    await conforms('GET', 'batchEndpoints', 'batchEndpoints');
    await conforms('GET', 'batchEndpoints/{endpoint}/deployments/{deployment}', 'batchEndpoints/contract/deployments/onnx');
    await conforms('GET', 'batchEndpoints/{endpoint}/deployments', 'batchEndpoints/contract/deployments');
    const invoke = { properties: { inputData: { rows: { jobInputType: 'UriFolder', uri: `${ds}/contract/data/` } }, miniBatchSize: 1 } };
    const created = await conforms('POST', 'batchEndpoints/{endpoint}/jobs', 'batchEndpoints/contract/jobs', invoke, { Prefer: 'respond-async' });
    const jobId = created.body.name;
    await app.waitForJob('contract', jobId);
    await conforms('GET', 'batchEndpoints/{endpoint}/jobs/{jobId}', `batchEndpoints/contract/jobs/${jobId}`);
    await conforms('GET', 'batchEndpoints/{endpoint}/jobs', 'batchEndpoints/contract/jobs');
    await conforms('GET', 'batchEndpoints/{endpoint}/jobs/{jobId}/errors', `batchEndpoints/contract/jobs/${jobId}/errors`);
    const output = await app.api('GET', `batchEndpoints/contract/jobs/${jobId}/output`);
    expect(output.status).toBe(200);
    expect(Object.keys(deref.paths['/api/batchEndpoints/{endpoint}/jobs/{jobId}/output'].get.responses['200'].content)).toEqual(['text/csv']);
    // A final job cannot be canceled: the error shape.
    const cancel = await conforms('POST', 'batchEndpoints/{endpoint}/jobs/{jobId}/cancel', `batchEndpoints/contract/jobs/${jobId}/cancel`);
    expect(cancel.status).toBe(409);
    // A body the schema refuses is one the route refuses, with the error shape.
    const bad = await conforms('PUT', 'batchEndpoints/{endpoint}', 'batchEndpoints/contract2', { properties: { nope: 1 } }, {}, false);
    expect(bad.status).toBe(400);
    await conforms('DELETE', 'batchEndpoints/{endpoint}/deployments/{deployment}', 'batchEndpoints/contract/deployments/onnx');
    await conforms('DELETE', 'batchEndpoints/{endpoint}', 'batchEndpoints/contract');
  });
});
