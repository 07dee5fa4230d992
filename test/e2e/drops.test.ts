import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { samplesDir, type AppStack } from '../support/appHost';
import { startDropApp, type DropApp } from '../support/drops';

// Blob drops through devhost on Azurite: folder + _SUCCESS, a single file, _job.json, refusals,
// and exactly one job per drop whatever the trigger does.

let app: AppStack;
let drops: DropApp;
const DATA = join(samplesDir, 'data');

beforeAll(async () => {
  drops = await startDropApp({ DEVHOST_BLOB_POLL_MS: '200' });
  app = drops.app;
  await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 10 } });
  await app.deploy({ endpoint: 'iris', deployment: 'second', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 10 } });
  // deploy() makes the last deployment the default: keep 'onnx' as the default.
  await app.apiOk('PATCH', 'batchEndpoints/iris', { properties: { defaults: { deploymentName: 'onnx' } } });
});
afterAll(async () => {
  await app?.stop();
});

describe('blob drops', () => {
  it('a folder with _SUCCESS becomes one job, one output and one _result.json; the marker written twice changes nothing', async () => {
    await drops.dropFolder('iris/day-1', ['iris-part-1.csv', 'iris-part-2.csv']);
    const result = await drops.resultOf('iris/day-1/_result.json');
    expect(result).toMatchObject({ status: 'Completed', endpointName: 'iris', deploymentName: 'onnx', drop: { container: 'batch-inbox', path: 'iris/day-1', kind: 'folder' }, error: null });
    expect(result.counts).toMatchObject({ itemsTotal: 2, itemsSucceeded: 2, itemsFailed: 0 });
    expect(result.outputUri).toBe('azureml://datastores/batch_outbox/paths/iris/day-1/predictions.csv');
    // A link to this host (devhost's WEBSITE_HOSTNAME is localhost:<port>) that answers with the job.
    expect(result.jobUrl).toBe(`http://localhost:${new URL(app.host.url).port}/api/batchEndpoints/iris/jobs/${result.jobId}`);
    const linked = await fetch(result.jobUrl, { headers: { authorization: `Bearer ${await app.token()}` } });
    expect(((await linked.json()) as any).name).toBe(result.jobId);
    expect(result.errorsUrl).toBe(`${result.jobUrl}/errors`);
    expect(Date.parse(result.times.ended)).toBeGreaterThanOrEqual(Date.parse(result.times.created));
    const output = (await drops.outbox.getBlobClient('iris/day-1/predictions.csv').downloadToBuffer()).toString('utf8');
    expect(output.trim().split('\n').length).toBeGreaterThan(10);
    // The job the result names is the one GET answers, created by the drop.
    const job = await app.job('iris', result.jobId);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.createdBy.name).toBe('blob drop');

    // The marker rewritten (a new ETag: the trigger fires again): still the one job.
    const before = (await drops.outbox.getBlobClient('iris/day-1/_result.json').getProperties()).etag;
    await drops.put('iris/day-1/_SUCCESS', 'again');
    // A later drop, to know the trigger has seen the rewritten marker by the time it is done.
    await drops.dropFolder('iris/day-1b', ['iris-part-3.csv']);
    await drops.resultOf('iris/day-1b/_result.json');
    expect((await drops.jobsOfDrop('iris', 'iris/day-1')).map((j) => j.name)).toEqual([result.jobId]);
    expect((await drops.outbox.getBlobClient('iris/day-1/_result.json').getProperties()).etag).toBe(before);
  });

  it('a single file under the endpoint becomes a UriFile job', async () => {
    await drops.put('iris/single.csv', readFileSync(join(DATA, 'iris-part-3.csv')));
    const result = await drops.resultOf('iris/single.csv/_result.json');
    expect(result).toMatchObject({ status: 'Completed', drop: { path: 'iris/single.csv', kind: 'file' }, counts: { itemsTotal: 1, itemsSucceeded: 1 } });
    const job = await app.job('iris', result.jobId);
    expect(job.properties.inputData.input_data).toMatchObject({ jobInputType: 'UriFile' });
    expect(await drops.outbox.getBlobClient('iris/single.csv/predictions.csv').exists()).toBe(true);
  });

  it('a drop whose name holds %, # or ? (legal in blob names) scores that folder and writes next to it', async () => {
    // Were the name read as a URI path: '#2?' a fragment and a query, '%' the start of an escape.
    await drops.dropFolder('iris/100% #2?', ['iris-part-1.csv', 'iris-part-2.csv']);
    const result = await drops.resultOf('iris/100% #2?/_result.json');
    expect(result).toMatchObject({ status: 'Completed', drop: { path: 'iris/100% #2?' }, counts: { itemsTotal: 2, itemsSucceeded: 2 } });
    expect(await drops.outbox.getBlobClient('iris/100% #2?/predictions.csv').exists()).toBe(true);
  });

  it('_job.json picks the deployment, overrides settings, adds literal inputs and sets the output', async () => {
    const jobFile = {
      deployment: 'second',
      miniBatchSize: 1,
      outputFileName: 'scores.csv',
      inputs: { threshold: 0.5 },
      output: { uri: 'azureml://datastores/workspaceblobstore/paths/drops/custom/scores.csv' },
    };
    await drops.dropFolder('iris/custom', ['iris-part-1.csv', 'iris-part-2.csv', 'iris-part-3.csv'], { '_job.json': JSON.stringify(jobFile) });
    const result = await app.waitUntil('the custom result', () => app.readWorkspaceBlob('drops/custom/_result.json'), 120_000, 200).then((t) => JSON.parse(t));
    expect(result).toMatchObject({ status: 'Completed', deploymentName: 'second', outputUri: 'azureml://datastores/workspaceblobstore/paths/drops/custom/scores.csv' });
    const job = await app.job('iris', result.jobId);
    expect(job.properties).toMatchObject({ deploymentName: 'second', miniBatchSize: 1, outputFileName: 'scores.csv' });
    expect(job.properties.inputData.threshold).toMatchObject({ jobInputType: 'Literal', value: '0.5' });
    expect(job.properties.progress.miniBatchesTotal).toBe(3);
    expect(await app.readWorkspaceBlob('drops/custom/scores.csv')).toBeTruthy();
    // Nothing in the default outbox folder: the output (and its result) went where _job.json said.
    expect(await drops.readJson(drops.outbox, 'iris/custom/_result.json')).toBeUndefined();
  });

  it('a drop for an unknown endpoint, or with a malformed _job.json, gets a _result.json that explains it and no job', async () => {
    await drops.dropFolder('nosuch/day-1', ['iris-part-1.csv']);
    await drops.dropFolder('iris/broken', ['iris-part-1.csv'], { '_job.json': '{ "miniBatchSize": 2, ' });
    await drops.dropFolder('iris/refused', ['iris-part-1.csv'], { '_job.json': JSON.stringify({ miniBatchSize: 0 }) });
    const unknown = await drops.resultOf('nosuch/day-1/_result.json');
    expect(unknown).toMatchObject({ status: 'Failed', jobId: null, endpointName: 'nosuch', error: { code: 'NotFound' } });
    expect(unknown.error.message).toMatch(/nosuch/);
    const broken = await drops.resultOf('iris/broken/_result.json');
    expect(broken).toMatchObject({ status: 'Failed', jobId: null, error: { code: 'InvalidJobFile', target: '_job.json' } });
    expect(broken.error.message).toMatch(/not valid JSON/);
    const refused = await drops.resultOf('iris/refused/_result.json');
    expect(refused).toMatchObject({ status: 'Failed', jobId: null });
    expect(refused.error.message).toMatch(/miniBatchSize/);
    expect(await drops.jobsOfDrop('iris', 'iris/broken')).toEqual([]);
    expect(await drops.jobsOfDrop('iris', 'iris/refused')).toEqual([]);
  });

  it('a refused drop dropped again with a good _job.json gets its job, and the refusal is removed (its output goes elsewhere)', async () => {
    await drops.dropFolder('iris/fixed', ['iris-part-1.csv'], { '_job.json': JSON.stringify({ deployment: 'nosuch' }) });
    expect(await drops.resultOf('iris/fixed/_result.json')).toMatchObject({ status: 'Failed', jobId: null });
    const jobFile = { output: { uri: 'azureml://datastores/workspaceblobstore/paths/drops/fixed/predictions.csv' } };
    await drops.put('iris/fixed/_job.json', JSON.stringify(jobFile));
    await drops.put('iris/fixed/_SUCCESS', 'again');
    const result = await app.waitUntil('the fixed result', () => app.readWorkspaceBlob('drops/fixed/_result.json'), 120_000, 200).then((t) => JSON.parse(t));
    expect(result).toMatchObject({ status: 'Completed', jobId: expect.any(String) });
    // No Failed _result.json left in the outbox for a drop whose job completed.
    expect(await drops.readJson(drops.outbox, 'iris/fixed/_result.json')).toBeUndefined();
  });

  it('a delivery after the job was made that would now be refused (a _job.json broken since) leaves the job\'s _result.json alone', async () => {
    await drops.dropFolder('iris/late', ['iris-part-1.csv'], { '_job.json': JSON.stringify({ miniBatchSize: 5 }) });
    const done = await drops.resultOf('iris/late/_result.json');
    expect(done).toMatchObject({ status: 'Completed', jobId: expect.any(String) });
    // The job file broken afterwards, then the marker's event again (Event Grid's at-least-once
    // delivery, a rerun rewriting the marker): the drop is refusable now, but it has its job.
    await drops.put('iris/late/_job.json', '{ "miniBatchSize": ');
    const marker = await drops.put('iris/late/_SUCCESS', 'again');
    await drops.handled('iris/late/_SUCCESS', marker.etag);
    expect(await drops.readJson(drops.outbox, 'iris/late/_result.json')).toEqual(done);
    expect((await drops.jobsOfDrop('iris', 'iris/late')).map((j) => j.name)).toEqual([done.jobId]);
  });

  it('a host SIGKILLed between the trigger and the job start still yields exactly one job', async () => {
    await drops.dropFolder('iris/crash', ['iris-part-1.csv', 'iris-part-2.csv']);
    // Kill as soon as the drop's job is recorded: the trigger has no receipt yet, or the job has not started.
    const seen = await app.waitUntil('the crash drop\'s job', async () => (await drops.jobsOfDrop('iris', 'iris/crash'))[0], 60_000, 20);
    await app.host.kill();
    await app.startHost();
    const result = await drops.resultOf('iris/crash/_result.json');
    expect(result).toMatchObject({ status: 'Completed', jobId: seen.name });
    expect((await drops.jobsOfDrop('iris', 'iris/crash')).map((j) => j.name)).toEqual([seen.name]);
  });
});
