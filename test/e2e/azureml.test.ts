import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ContainerClient } from '@azure/storage-blob';
import { AppStack, startApp, samplesDir } from '../support/appHost';
import { repoRoot } from '../support/devhost';

// What an Azure ML user's scripts send, unchanged but for the host: the REST sample's calls under
// the ARM path, the SDK's and the docs' invoke bodies, uploads, and the routes they discover.

let app: AppStack;

const SUB = '5f08d643-1910-4a38-a7c7-84a39d4f42e0';
const RG = 'my-rg';
const WS = 'my-workspace';
const API_VERSION = '2022-05-01';
const ARM = `subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}`;
const armId = (rest: string) => `/${ARM}/${rest}`;
/** A call as the REST sample makes it: the ARM path with `api-version`. */
const arm = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  app.api(method, `${ARM}/${path}${path.includes('?') ? '&' : '?'}api-version=${API_VERSION}`, body, headers ? { headers } : {});

/** Polls a URL as the sample's `wait_for_job_completion` does (any status; reads properties.status). */
async function pollUntilFinal(url: string): Promise<any> {
  const token = await app.token();
  return app.waitUntil(`job at ${url} final`, async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as any;
    return ['Completed', 'Failed', 'Canceled'].includes(body?.properties?.status) ? body : undefined;
  }, 120_000, 100);
}

/** Uploads a folder with the SAS of a pending upload (what the CLI does). */
async function uploadWithSas(pending: any, folder: string): Promise<void> {
  const container = new ContainerClient(pending.blobReferenceForConsumption.credential.sasUri);
  const prefix = pending.blobReferenceForConsumption.blobUri.slice(container.url.split('?')[0]!.length + 1);
  for (const name of readdirSync(folder)) await container.getBlockBlobClient(`${prefix}/${name}`).uploadFile(join(folder, name));
}

const csvRows = (text: string | undefined) => (text ?? '').split('\n').filter(Boolean);

beforeAll(async () => {
  app = await startApp();
  await app.upload('samples/iris/data', join(samplesDir, 'data'), (n) => n.endsWith('.csv'));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe("Azure ML's REST sample (cli/batch-score-rest.sh), host changed", () => {
  it('runs its calls in order, with its bodies, to a Completed job, and the job outlives its endpoint', async () => {
    // <get_storage_details>
    const stores = await arm('GET', 'datastores?isDefault=true');
    expect(stores.status, JSON.stringify(stores.body)).toBe(200);
    const store = stores.body.value.find((d: any) => d.properties.isDefault);
    expect(store.name).toBe('workspaceblobstore');

    // <upload_code> / <upload_model>: the CLI's pending upload instead of a storage connection string
    const codeUpload = await arm('POST', 'codes/score-iris/versions/1/startPendingUpload', { pendingUploadType: 'TemporaryBlobReference' });
    expect(codeUpload.status, JSON.stringify(codeUpload.body)).toBe(200);
    await uploadWithSas(codeUpload.body, join(samplesDir, 'score'));
    const modelUpload = await arm('POST', 'models/iris/versions/1/startPendingUpload', { pendingUploadType: 'TemporaryBlobReference' });
    await uploadWithSas(modelUpload.body, join(samplesDir, 'model'));
    const pathOf = (assetUri: string) => assetUri.replace('azureml://datastores/workspaceblobstore/paths/', '');
    const longForm = (path: string) => `azureml://subscriptions/${SUB}/resourceGroups/${RG}/workspaces/${WS}/datastores/${store.name}/paths/${path}`;

    // <create_code>
    const code = await arm('PUT', 'codes/score-iris/versions/1', { properties: { description: 'Score code', codeUri: longForm(pathOf(codeUpload.body.assetUri)) } });
    expect(code.status, JSON.stringify(code.body)).toBe(201);
    // <create_model>: the container first (not needed here: said so), then the version without modelType
    const container = await arm('PUT', 'models/iris', { properties: { description: 'Container for the iris model' } });
    expect(container.status).toBe(200);
    expect(container.body.warnings[0]).toMatchObject({ code: 'NotNeeded' });
    const model = await arm('PUT', 'models/iris/versions/1', { properties: { modelUri: longForm(pathOf(modelUpload.body.assetUri)) } });
    expect(model.status, JSON.stringify(model.body)).toBe(201);
    expect(model.body.properties.modelType).toBe('custom_model');

    // <create_environment> and <create_compute>: Azure-only, answered "not needed here"
    const env = await arm('PUT', 'environments/iris-env', { properties: {} });
    const envVersion = await arm('PUT', 'environments/iris-env/versions/7', { properties: { condaFile: 'name: x', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' } });
    const compute = await arm('PUT', 'computes/cpu-cluster', {
      properties: { computeType: 'AmlCompute', properties: { osType: 'Linux', vmSize: 'STANDARD_D2_V2', scaleSettings: { maxNodeCount: 3, minNodeCount: 0 } } },
      location: 'centraluseuap',
    });
    for (const res of [env, envVersion, compute]) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.warnings[0].code).toBe('NotNeeded');
      expect(res.body.warnings[0].message).toMatch(/not stored/);
    }

    // <create_endpoint>: authMode in the sample's casing, a location
    const endpoint = await arm('PUT', 'batchEndpoints/irisrest', { properties: { authMode: 'aadToken' }, location: 'centraluseuap' });
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    expect(endpoint.body.properties.authMode).toBe('AADToken');
    expect(endpoint.body.warnings).toEqual([expect.objectContaining({ code: 'IgnoredField', target: 'location' })]);

    // <create_deployment>: ARM ids, Azure-only fields, numbers as strings, lower-case logging level
    const deployment = await arm('PUT', 'batchEndpoints/irisrest/deployments/nonmlflowdp', {
      location: 'centraluseuap',
      properties: {
        model: { referenceType: 'Id', assetId: armId('models/iris/versions/1') },
        codeConfiguration: { codeId: armId('codes/score-iris/versions/1'), scoringScript: 'score.js' },
        environmentId: armId('environments/iris-env/versions/7'),
        compute: armId('computes/cpu-cluster'),
        resources: { instanceCount: 1 },
        maxConcurrencyPerInstance: '4',
        retrySettings: { maxRetries: 3, timeout: 'PT30S' },
        errorThreshold: '10',
        loggingLevel: 'info',
        miniBatchSize: '5',
      },
    });
    expect(deployment.status, JSON.stringify(deployment.body)).toBe(201);
    expect(deployment.body.properties).toMatchObject({ maxConcurrencyPerInstance: 4, errorThreshold: 10, miniBatchSize: 5, loggingLevel: 'Info' });
    expect(deployment.body.warnings.map((w: any) => w.target).sort()).toEqual(['location', 'properties.compute', 'properties.environmentId']);

    // <set_endpoint_defaults>, <get_endpoint>
    const defaults = await arm('PUT', 'batchEndpoints/irisrest', { properties: { authMode: 'aadToken', defaults: { deploymentName: 'nonmlflowdp' } }, location: 'centraluseuap' });
    expect(defaults.status, JSON.stringify(defaults.body)).toBe(200);
    const shown = await arm('GET', 'batchEndpoints/irisrest');
    const scoringUri: string = shown.body.properties.scoringUri;
    expect(scoringUri).toMatch(/\/api\/batchEndpoints\/irisrest\/jobs$/);

    // <score_endpoint_with_data_in_cloud>: the invoke body of the REST docs, an input given by the datastore's ARM id
    const token = await app.token(['BatchEndpoints.Invoke']);
    const invoke = await fetch(scoringUri, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: {
          InputData: { heart_dataset: { JobInputType: 'UriFolder', Uri: `${store.id.replace(/^\/api\//, `/${ARM}/`)}/paths/samples/iris/data/` } },
          properties: { experimentName: 'rest-replay' },
        },
      }),
    });
    const invoked = (await invoke.json()) as any;
    expect(invoke.status, JSON.stringify(invoked)).toBe(200); // the SDK's rule: 200/201, never 202 unless asked
    const jobIdSuffix = String(invoked.id).split('/').pop();
    expect(jobIdSuffix).toBe(invoked.name);

    // <check_job>: poll scoringUri/<job id>
    const job = await pollUntilFinal(`${scoringUri}/${jobIdSuffix}`);
    expect(job.properties.status, JSON.stringify(job.properties.error)).toBe('Completed');
    expect(job.properties.experimentName).toBe('rest-replay');
    expect(csvRows(await app.readWorkspaceBlob(`azureml/${job.name}/score/predictions.csv`))).toHaveLength(3);

    // <score_endpoint_with_dataset>: a registered data asset by ARM id, output to a datastore ARM id path
    const data = await arm('PUT', 'data/iris-csv/versions/1', { properties: { dataType: 'uri_folder', dataUri: 'azureml://datastores/workspaceblobstore/paths/samples/iris/data/' } });
    expect(data.status, JSON.stringify(data.body)).toBe(201);
    const second = await fetch(scoringUri, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        properties: {
          InputData: { iris: { JobInputType: 'UriFolder', Uri: armId('data/iris-csv/versions/1') } },
          OutputData: { score: { JobOutputType: 'UriFile', Uri: `${armId('datastores/workspaceblobstore')}/paths/replay/out.csv` } },
        },
      }),
    });
    const secondJob = (await second.json()) as any;
    expect(second.status, JSON.stringify(secondJob)).toBe(200);
    expect((await pollUntilFinal(`${scoringUri}/${secondJob.name}`)).properties.status).toBe('Completed');
    expect(csvRows(await app.readWorkspaceBlob('replay/out.csv'))).toHaveLength(3);

    // <delete_endpoint>: its jobs stay readable at the workspace jobs route (ARM path and plain)
    expect((await arm('DELETE', 'batchEndpoints/irisrest')).status).toBe(200);
    expect((await app.api('GET', `batchEndpoints/irisrest/jobs/${job.name}`)).status).toBe(404);
    const after = await arm('GET', `jobs/${job.name}`);
    expect(after.status).toBe(200);
    expect(after.body.properties).toMatchObject({ status: 'Completed', endpointName: 'irisrest', experimentName: 'rest-replay' });
    expect((await app.api('GET', `jobs/${secondJob.name}`)).body.properties.outputs.score.uri).toBe('azureml://datastores/workspaceblobstore/paths/replay/out.csv');
  }, 240_000);
});

describe('invoke forms and statuses', () => {
  beforeAll(async () => {
    await app.deploy({ endpoint: 'forms', deployment: 'onnx', modelFolder: join(samplesDir, 'model') });
    await app.apiOk('PUT', 'data/iris-forms/versions/2', { properties: { dataType: 'uri_folder', dataUri: 'azureml://datastores/workspaceblobstore/paths/samples/iris/data/' } });
  }, 120_000);

  const invoke = (body: unknown, headers: Record<string, string> = {}) => app.api('POST', 'batchEndpoints/forms/jobs', body, { headers, roles: ['BatchEndpoints.Invoke'] });
  const uniqueOut = (name: string) => `azureml://datastores/workspaceblobstore/paths/forms/${name}-${Date.now()}.csv`;

  it("REST PascalCase (the docs' body): 200 with the job", async () => {
    const res = await invoke({
      properties: {
        InputData: { heart_dataset: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/samples/iris/data/' } },
        OutputData: { score: { JobOutputType: 'UriFile', Uri: uniqueOut('rest') } },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const job = await app.waitForJob('forms', res.body.name);
    expect(job.properties.status).toBe('Completed');
  }, 120_000);

  it("the Python SDK's camelCase body: metadata stored, returned and filterable; compute target reported as ignored", async () => {
    const res = await invoke({
      properties: {
        inputData: { iris: { jobInputType: 'UriFolder', uri: 'azureml:iris-forms:2', mode: 'ReadOnlyMount' } },
        outputData: { score: { jobOutputType: 'UriFile', uri: uniqueOut('sdk'), mode: 'Upload' } },
        compute: { instanceCount: 2, target: 'azureml:cpu-cluster' },
        miniBatchSize: '2',
        retrySettings: { maxRetries: 1, timeout: 'PT30S' },
        tags: { team: 'fraud', run: 'nightly' },
        description: 'nightly scoring',
        displayName: 'nightly-1',
        experimentName: 'sdk-forms',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.warnings).toEqual([expect.objectContaining({ code: 'IgnoredField', target: 'properties.compute.target' })]);
    expect(res.body.properties).toMatchObject({ instanceCount: 2, miniBatchSize: 2, displayName: 'nightly-1', experimentName: 'sdk-forms', description: 'nightly scoring', tags: { team: 'fraud', run: 'nightly' } });
    // Studio: the job's page in the app's studio (Azure ML clients print it as the job's web view).
    expect(res.body.properties.interactionEndpoints.Studio.endpoint).toBe(`${app.host.url}/api/studio/endpoints/forms/jobs/${res.body.name}`);
    const job = await app.waitForJob('forms', res.body.name);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.output.uri).toBe(job.properties.outputs.score.uri);

    const byExperiment = await app.api('GET', 'batchEndpoints/forms/jobs?experimentName=sdk-forms');
    expect(byExperiment.body.value.map((j: any) => j.name)).toEqual([res.body.name]);
    const byTag = await app.api('GET', 'batchEndpoints/forms/jobs?tag=team=fraud&tag=run');
    expect(byTag.body.value.map((j: any) => j.name)).toEqual([res.body.name]);
    expect((await app.api('GET', 'batchEndpoints/forms/jobs?tag=team=other')).body.value).toEqual([]);
  }, 120_000);

  it('literal inputs to a no-code deployment: the job runs, and each is reported as ignored (only a scoring script reads them)', async () => {
    const res = await invoke({
      properties: {
        inputData: {
          iris: { jobInputType: 'UriFolder', uri: 'azureml://datastores/workspaceblobstore/paths/samples/iris/data/' },
          threshold: { jobInputType: 'Literal', value: '0.7' },
        },
        outputData: { score: { jobOutputType: 'UriFile', uri: uniqueOut('literal') } },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.warnings).toEqual([
      { code: 'IgnoredField', target: 'properties.inputData.threshold', message: expect.stringMatching(/^properties\.inputData\.threshold is accepted and ignored: deployment 'onnx' has no scoring script/) },
    ]);
    expect((await app.waitForJob('forms', res.body.name)).properties.status).toBe('Completed');
  }, 120_000);

  it('ARM ids and azureml://locations forms in inputs and outputs', async () => {
    for (const uri of [armId('data/iris-forms/versions/2'), `azureml://locations/westeurope/workspaces/${WS}/data/iris-forms/versions/2`, `${armId('datastores/workspaceblobstore')}/paths/samples/iris/data/iris-part-1.csv`]) {
      const type = uri.endsWith('.csv') ? 'UriFile' : 'UriFolder';
      const res = await invoke({
        properties: {
          InputData: { iris: { JobInputType: type, Uri: uri } },
          OutputData: { score: { JobOutputType: 'UriFile', Uri: `${armId('datastores/workspaceblobstore')}/paths/forms/arm-${Date.now()}.csv` } },
        },
      });
      expect(res.status, `${uri}: ${JSON.stringify(res.body)}`).toBe(200);
      const job = await app.waitForJob('forms', res.body.name);
      expect(job.properties.status, uri).toBe('Completed');
      expect(job.properties.progress.itemsTotal, uri).toBe(type === 'UriFile' ? 1 : 3);
    }
  }, 180_000);

  it('Prefer: respond-async keeps the 202 + Location + Retry-After pattern; the Location answers 202 until the job is final', async () => {
    const res = await invoke({ properties: { InputData: { iris: { JobInputType: 'UriFolder', Uri: 'azureml:iris-forms:2' } }, OutputData: { score: { JobOutputType: 'UriFile', Uri: uniqueOut('async') } } } }, { prefer: 'respond-async' });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.headers.get('retry-after')).toBe('5');
    const location = res.headers.get('location')!;
    expect(location).toBe(`${app.host.url}/api/batchEndpoints/forms/jobs/${res.body.name}`);
    const token = await app.token();
    const statuses: number[] = [];
    for (;;) {
      const poll = await fetch(location, { headers: { authorization: `Bearer ${token}` } });
      const body = (await poll.json()) as any;
      statuses.push(poll.status);
      const final = ['Completed', 'Failed', 'Canceled'].includes(body.properties.status);
      expect(poll.status, body.properties.status).toBe(final ? 200 : 202);
      if (final) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statuses.at(-1)).toBe(200);
    // The workspace job route (the SDK's and az ml job show's) answers 200 whatever the status.
    expect((await app.api('GET', `jobs/${res.body.name}`)).status).toBe(200);
  }, 120_000);
});

describe('uploads (startPendingUpload, npm run upload)', () => {
  it('answers the contract shape; exists once blobs are under the id; the SAS writes but does not read', async () => {
    const id = 'abc123-content-hash';
    const first = await app.api('POST', `models/up/versions/1/startPendingUpload`, { pendingUploadId: id, pendingUploadType: 'TemporaryBlobReference' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      pendingUploadId: id,
      pendingUploadType: 'TemporaryBlobReference',
      blobReferenceForConsumption: { storageAccountArmId: null, credential: { credentialType: 'SAS' } },
      assetUri: `azureml://datastores/workspaceblobstore/paths/LocalUpload/${id}/`,
      exists: false,
    });
    expect(first.body.blobReferenceForConsumption.blobUri).toBe(`${app.workspace().url}/LocalUpload/${id}`);
    const sasUri: string = first.body.blobReferenceForConsumption.credential.sasUri;
    expect([...new URL(sasUri).searchParams.get('sp')!].sort().join('')).toBe('aclw');
    const container = new ContainerClient(sasUri);
    await container.getBlockBlobClient(`LocalUpload/${id}/MLmodel`).upload('x', 1);
    await expect(container.getBlobClient(`LocalUpload/${id}/MLmodel`).downloadToBuffer()).rejects.toMatchObject({ statusCode: 403 });
    const again = await app.api('POST', `codes/up/versions/1/startPendingUpload`, { pendingUploadId: id });
    expect(again.body.exists).toBe(true);
    const random = await app.api('POST', `data/up/versions/1/startPendingUpload`);
    expect(random.body.pendingUploadId).toMatch(/^[a-f0-9]{32}$/);
  });

  it('refuses a bad id and a caller without Manage', async () => {
    const bad = await app.api('POST', `models/up/versions/1/startPendingUpload`, { pendingUploadId: '../x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].target).toBe('pendingUploadId');
    const reader = await app.api('POST', `models/up/versions/1/startPendingUpload`, {}, { roles: ['BatchEndpoints.Invoke'] });
    expect(reader.status).toBe(403);
  });

  it('npm run upload puts a folder at a datastore path and prints its URI; the model registered from it scores', async () => {
    const exec = promisify(execFile);
    const token = await app.token(['BatchEndpoints.Manage']);
    const { stdout } = await exec(process.execPath, [join(repoRoot, 'dist', 'scripts', 'upload.js'), join(samplesDir, 'model'), 'models/own-iris', '--url', app.host.url, '--token', token]);
    expect(stdout.trim()).toBe('azureml://datastores/workspaceblobstore/paths/models/own-iris/');
    expect((await app.listWorkspaceBlobs('models/own-iris/')).sort()).toEqual(['models/own-iris/MLmodel', 'models/own-iris/README.md', 'models/own-iris/model.onnx']);
    expect(readFileSync(join(samplesDir, 'model', 'MLmodel'), 'utf8')).toBe(await app.readWorkspaceBlob('models/own-iris/MLmodel'));
    // Without a path: content-addressed; the second run finds it there.
    const once = await exec(process.execPath, [join(repoRoot, 'dist', 'scripts', 'upload.js'), join(samplesDir, 'score'), '--url', app.host.url, '--token', token]);
    const twice = await exec(process.execPath, [join(repoRoot, 'dist', 'scripts', 'upload.js'), join(samplesDir, 'score'), '--url', app.host.url, '--token', token]);
    expect(once.stdout).toMatch(/^azureml:\/\/datastores\/workspaceblobstore\/paths\/LocalUpload\/[a-f0-9]{32}\/\n$/);
    expect(twice.stdout).toBe(once.stdout);
    expect(twice.stderr).toMatch(/Already uploaded/);
  }, 60_000);
});

describe('discoverability', () => {
  it('GET /api describes the service', async () => {
    const res = await app.api('GET', '', undefined, { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'batch-endpoints-functions', auth: { scheme: 'Bearer' } });
    expect(res.body.routes).toContainEqual({ methods: ['POST'], route: '/api/batchEndpoints/{endpoint}/jobs' });
  });

  it('unknown routes and methods answer the error shape with the routes nearby', async () => {
    const unknown = await app.api('GET', 'batchEndpoints/x/deploymentz');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('RouteNotFound');
    expect(unknown.body.error.message).toContain('/api/batchEndpoints/{endpoint}/deployments');
    const method = await app.api('DELETE', 'models');
    expect(method.status).toBe(405);
    expect(method.body.error).toMatchObject({ code: 'MethodNotAllowed' });
    expect(method.headers.get('allow')).toBe('GET');
    const armUnknown = await arm('GET', 'onlineEndpoints');
    expect(armUnknown.status).toBe(404);
    expect(armUnknown.body.error.code).toBe('RouteNotFound');
  });

  it('lists models, codes and data (latest version of each)', async () => {
    for (const kind of ['models', 'codes', 'data']) {
      const res = await arm('GET', kind);
      expect(res.status, kind).toBe(200);
      expect(res.body.value.length, kind).toBeGreaterThan(0);
      for (const item of res.body.value) expect(item.properties.latestVersion, kind).toBeTruthy();
    }
  });
});

describe("a job's logs", () => {
  it("what a script writes with context.logger and console.* is in each mini-batch's log at the job's loggingLevel, served by the logs route", async () => {
    const scripts = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
    await app.deploy({ endpoint: 'chatty', deployment: 'script', modelFolder: join(scripts, 'model'), modelType: 'custom_model', codeFolder: join(scripts, 'chatty'), settings: { miniBatchSize: 1 } });
    await app.uploadMany([0, 1].map((i) => ({ name: `inputs/chatty/f${i}.txt`, data: String(i) })));
    const res = await app.invoke('chatty', { InputData: { d: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/inputs/chatty/' } } });
    const job = await app.waitForJob('chatty', res.body.name);
    expect(job.properties.status).toBe('Completed');

    const list = await app.api('GET', `batchEndpoints/chatty/jobs/${job.name}/logs`);
    expect(list.status).toBe(200);
    const names = list.body.value.map((l: any) => l.name);
    expect(names).toEqual(expect.arrayContaining(['job_progress_overview.txt', 'user/stdout/mini-batch-0.txt', 'user/stdout/mini-batch-1.txt']));
    for (const index of [0, 1]) {
      const log = await app.api('GET', `batchEndpoints/chatty/jobs/${job.name}/logs/user/stdout/mini-batch-${index}.txt`);
      expect(log.status).toBe(200);
      const text = String(log.body);
      for (const line of [`INFO logger.info mini-batch ${index}`, `WARNING logger.warning mini-batch ${index}`, `INFO console.log mini-batch ${index}`, `ERROR console.error mini-batch ${index}`]) expect(text).toContain(line);
      expect(text).not.toContain('logger.debug'); // loggingLevel Info
    }
    // Debug, per job: the debug lines appear too
    const debug = await app.invoke('chatty', { InputData: { d: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/inputs/chatty/' } }, loggingLevel: 'debug' });
    const debugJob = await app.waitForJob('chatty', debug.body.name);
    expect(String((await app.api('GET', `batchEndpoints/chatty/jobs/${debugJob.name}/logs/user/stdout/mini-batch-1.txt`)).body)).toContain('DEBUG logger.debug mini-batch 1');
    const missing = await app.api('GET', `batchEndpoints/chatty/jobs/${job.name}/logs/user/nope.txt`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NotFound');
  }, 120_000);
});

describe('progress', () => {
  it('shows mini-batches finishing while a slow job runs, with running and pending apart', async () => {
    const scripts = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
    await app.deploy({ endpoint: 'slowprog', deployment: 'script', modelFolder: join(scripts, 'model'), modelType: 'custom_model', codeFolder: join(scripts, 'slow'), settings: { miniBatchSize: 1 } });
    await app.uploadMany([0, 1, 2, 3].map((i) => ({ name: `inputs/slowprog/f${i}.txt`, data: String(i) })));
    const res = await app.invoke('slowprog', { InputData: { d: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/inputs/slowprog/' }, ms: { JobInputType: 'Literal', Value: '1500' } } });
    const seen: any[] = [];
    for (;;) {
      const job = await app.job('slowprog', res.body.name);
      seen.push({ status: job.properties.status, ...job.properties.progress });
      if (['Completed', 'Failed', 'Canceled'].includes(job.properties.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen.at(-1)).toMatchObject({ status: 'Completed', miniBatchesSucceeded: 4, miniBatchesPending: 0 });
    // One mini-batch at a time (instanceCount 1 x maxConcurrencyPerInstance 1): while it ran, some
    // were done, one was running and the rest were pending, and the counts always added up.
    const midway = seen.filter((p) => p.status === 'Running' && p.miniBatchesSucceeded > 0 && p.miniBatchesSucceeded < 4);
    expect(midway.length, JSON.stringify(seen.map((p) => [p.status, p.miniBatchesSucceeded, p.miniBatchesRunning, p.miniBatchesPending]))).toBeGreaterThan(0);
    for (const p of midway) {
      expect(p.miniBatchesRunning).toBe(1);
      expect(p.miniBatchesSucceeded + p.miniBatchesRunning + p.miniBatchesPending).toBe(4);
    }
  }, 120_000);
});
