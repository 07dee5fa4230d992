import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import { AppStack, startApp, folderInput, samplesDir } from '../support/appHost';

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
let app: AppStack;
/** Bytes the output route serves per request here: between the two outputs' sizes (about 3 KB and 9 KB). */
const SERVE_MAX = 5000;

/** Rows of each sample file read without the product's readers, in file order. */
async function sampleRows(file: string): Promise<number[][]> {
  const path = join(samplesDir, 'data', file);
  if (file.endsWith('.csv')) {
    const records = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
    return records.map((r) => FEATURES.map((f) => Number(r[f])));
  }
  if (file.endsWith('.jsonl')) {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => FEATURES.map((f) => Number(JSON.parse(l)[f])));
  }
  const { parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const buffer = readFileSync(path);
  const file_ = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  const rows = (await parquetReadObjects({ file: file_, compressors })) as Record<string, number>[];
  return rows.map((r) => FEATURES.map((f) => Number(r[f])));
}

/** What ONNX Runtime itself predicts for a file, as Azure ML's MLflow output lines. */
async function expectedLines(session: ort.InferenceSession, file: string): Promise<string[]> {
  const rows = await sampleRows(file);
  const features = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
  const { label } = await session.run({ features });
  return rows.map((_, i) => `${i},${label.data[i]},${file}`);
}

beforeAll(async () => {
  app = await startApp({ OUTPUT_SERVE_MAX_BYTES: String(SERVE_MAX) });
  await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 2, maxConcurrencyPerInstance: 2 } });
  await app.upload('inputs/mixed', join(samplesDir, 'data'));
  // Markers and hidden files are skipped, as Azure ML does.
  await app.uploadText('inputs/mixed/_SUCCESS', '');
  await app.uploadText('inputs/mixed/.hidden.csv', 'not,a,table\n');
});
afterAll(async () => {
  await app?.stop();
});

describe('batch scoring end to end (no-code ONNX)', () => {
  it('scores a folder of CSV, Parquet and JSONL files into one CSV that equals ONNX Runtime row for row', async () => {
    const invoke = await app.invoke('iris', folderInput('inputs/mixed'));
    expect(invoke.status).toBe(202);
    expect(invoke.headers.get('location')).toMatch(/\/api\/batchEndpoints\/iris\/jobs\/batchjob-/);
    expect(invoke.headers.get('retry-after')).toBeTruthy();
    const jobId = invoke.body.name;
    const job = await app.waitForJob('iris', jobId);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 3, miniBatchesSucceeded: 3, itemsTotal: 5, itemsSucceeded: 5, itemsFailed: 0 });

    const session = await ort.InferenceSession.create(join(samplesDir, 'model', 'model.onnx'));
    const files = ['iris-part-1.csv', 'iris-part-2.csv', 'iris-part-3.csv', 'iris.jsonl', 'iris.parquet'];
    const expected = (await Promise.all(files.map((f) => expectedLines(session, f)))).flat();
    const output = await app.readWorkspaceBlob(`azureml/${jobId}/score/predictions.csv`);
    expect(output).toBeDefined();
    expect(output!.endsWith('\n')).toBe(true);
    expect(output!.trimEnd().split('\n')).toEqual(expected);
    expect(expected).toHaveLength(450);

    // The output route: this app serves at most OUTPUT_SERVE_MAX_BYTES per request, so the whole
    // file is refused with a clear error and read in byte ranges instead.
    const route = `batchEndpoints/iris/jobs/${jobId}/output`;
    const read = (range?: string) => app.api('GET', route, undefined, { roles: ['BatchEndpoints.Read'], headers: range ? { range } : {} });
    const size = Buffer.byteLength(output!);
    expect(size).toBeGreaterThan(SERVE_MAX);
    const whole = await read();
    expect(whole.status).toBe(422);
    expect(whole.body.error.code).toBe('OutputTooLarge');
    expect(whole.body.error.message).toContain(`bytes=0-${SERVE_MAX - 1}`);
    const first = await read(`bytes=0-${SERVE_MAX - 1}`);
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-${SERVE_MAX - 1}/${size}`);
    expect(first.headers.get('content-type')).toContain('text/csv');
    const rest = await read(`bytes=${SERVE_MAX}-`);
    expect(rest.status).toBe(206);
    expect(`${first.body}${rest.body}`).toBe(output);
    expect((await read('bytes=-10')).body).toBe(output!.slice(-10));
    const beyond = await read(`bytes=${size}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);

    const overview = await app.readWorkspaceBlob(`azureml/${jobId}/logs/job_progress_overview.txt`);
    expect(overview).toContain('Completed');
    expect(job.properties.logsUri).toContain(`azureml/${jobId}/logs/`);
  });

  it('counts bad files as failed items and completes when errorThreshold is -1', async () => {
    await app.upload('inputs/some-bad', join(samplesDir, 'data'), (n) => n.endsWith('.csv'));
    await app.uploadText('inputs/some-bad/broken.csv', 'sepal_length,sepal_width,petal_length,petal_width\n1,2,three,4\n');
    await app.uploadText('inputs/some-bad/empty.jsonl', '');
    const invoke = await app.invoke('iris', { ...folderInput('inputs/some-bad'), OutputData: { score: { JobOutputType: 'UriFile', Uri: 'azureml://datastores/workspaceblobstore/paths/results/some-bad.csv' } } });
    expect(invoke.status).toBe(202);
    const job = await app.waitForJob('iris', invoke.body.name);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ itemsTotal: 5, itemsSucceeded: 3, itemsFailed: 2 });
    const text = (await app.readWorkspaceBlob('results/some-bad.csv'))!;
    // Small enough to come whole from the output route.
    const download = await app.api('GET', `batchEndpoints/iris/jobs/${invoke.body.name}/output`, undefined, { roles: ['BatchEndpoints.Read'] });
    expect(download.status).toBe(200);
    expect(download.headers.get('accept-ranges')).toBe('bytes');
    expect(download.body).toBe(text);
    const output = text.trimEnd().split('\n');
    expect(output).toHaveLength(150);
    expect(output.every((line) => /^\d+,[012],iris-part-[123]\.csv$/.test(line))).toBe(true);

    const errors = await app.api('GET', `batchEndpoints/iris/jobs/${invoke.body.name}/errors`);
    expect(errors.status).toBe(200);
    const itemErrors = errors.body.value.flatMap((e: any) => e.itemErrors);
    expect(itemErrors.map((e: any) => e.file).sort()).toEqual(['broken.csv', 'empty.jsonl']);
    expect(itemErrors.find((e: any) => e.file === 'broken.csv').message).toMatch(/three/);
  });

  it('fails with ErrorThresholdExceeded and writes no output when too many items fail', async () => {
    await app.uploadText('inputs/all-bad/a.csv', 'wrong,columns\n1,2\n');
    await app.uploadText('inputs/all-bad/b.csv', 'wrong,columns\n1,2\n');
    await app.uploadText('inputs/all-bad/c.csv', 'wrong,columns\n1,2\n');
    const invoke = await app.invoke('iris', { ...folderInput('inputs/all-bad'), errorThreshold: 1, miniBatchSize: 1, maxConcurrencyPerInstance: 1 });
    expect(invoke.status).toBe(202);
    const job = await app.waitForJob('iris', invoke.body.name);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('ErrorThresholdExceeded');
    expect(job.properties.progress.itemsFailed).toBe(2); // scheduling stopped once the threshold was passed
    expect(await app.readWorkspaceBlob(`azureml/${invoke.body.name}/score/predictions.csv`)).toBeUndefined();
    const errorLog = await app.readWorkspaceBlob(`azureml/${invoke.body.name}/logs/user/error.txt`);
    expect(errorLog).toContain('sepal_length');
  });

  it('fails with NoSucceededItems (and no output) when every item failed, even with errorThreshold -1', async () => {
    const invoke = await app.invoke('iris', { ...folderInput('inputs/all-bad'), miniBatchSize: 1 });
    const job = await app.waitForJob('iris', invoke.body.name);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('NoSucceededItems');
    expect(job.properties.error.message).toMatch(/No item succeeded \(3 failed\); the first failure: .*sepal_length/);
    expect(await app.readWorkspaceBlob(`azureml/${invoke.body.name}/score/predictions.csv`)).toBeUndefined();
  });

  it('refuses an output that already exists with 409 and starts nothing', async () => {
    await app.uploadText('results/taken.csv', 'already here\n');
    const before = await app.api('GET', 'batchEndpoints/iris/jobs?$top=100');
    const invoke = await app.invoke('iris', { ...folderInput('inputs/mixed'), OutputData: { score: { JobOutputType: 'UriFile', Uri: 'azureml://datastores/workspaceblobstore/paths/results/taken.csv' } } });
    expect(invoke.status).toBe(409);
    expect(invoke.body.error.code).toBe('OutputAlreadyExists');
    const after = await app.api('GET', 'batchEndpoints/iris/jobs?$top=100');
    expect(after.body.value.length).toBe(before.body.value.length);
    expect(await app.readWorkspaceBlob('results/taken.csv')).toBe('already here\n');
  });

  it('returns the same job for a retried invoke with the same x-ms-client-request-id', async () => {
    const headers = { 'x-ms-client-request-id': `retry-${Date.now()}` };
    const body = { ...folderInput('inputs/mixed'), OutputData: { score: { JobOutputType: 'UriFile', Uri: `azureml://datastores/workspaceblobstore/paths/results/idem-${Date.now()}.csv` } } };
    const [first, second] = await Promise.all([app.invoke('iris', body, headers), app.invoke('iris', body, headers)]);
    const third = await app.invoke('iris', body, headers);
    const ids = [first, second, third].filter((r) => r.status === 202).map((r) => r.body.name);
    expect(first.status === 202 || second.status === 202).toBe(true);
    expect(new Set(ids).size).toBe(1);
    const list = await app.api('GET', 'batchEndpoints/iris/jobs?$top=100');
    expect(list.body.value.filter((j: any) => j.name === ids[0])).toHaveLength(1);
    const different = await app.invoke('iris', { ...body, miniBatchSize: 1 }, headers);
    expect(different.status).toBe(409);
    expect(different.body.error.code).toBe('IdempotencyKeyReused');
    await app.waitForJob('iris', ids[0]);
  });

  it('lists jobs newest first with $top and nextLink, and filters by status', async () => {
    const page1 = await app.api('GET', 'batchEndpoints/iris/jobs?$top=2');
    expect(page1.status).toBe(200);
    expect(page1.body.value).toHaveLength(2);
    expect(page1.body.nextLink).toContain('$skiptoken=');
    const next = new URL(page1.body.nextLink);
    const page2 = await app.api('GET', `batchEndpoints/iris/jobs${next.search}`);
    expect(page2.body.value[0].name > page1.body.value[1].name).toBe(true);
    const created = [...page1.body.value, ...page2.body.value].map((j: any) => j.properties.creationTime);
    expect([...created].sort().reverse()).toEqual(created);
    const failed = await app.api('GET', 'batchEndpoints/iris/jobs?status=Failed');
    expect(failed.body.value.length).toBeGreaterThan(0);
    expect(failed.body.value.every((j: any) => j.properties.status === 'Failed')).toBe(true);
  });

  it('answers clear errors for bad invokes', async () => {
    const noInput = await app.invoke('iris', {});
    expect(noInput.status).toBe(400);
    const unknown = await app.invoke('iris', { ...folderInput('inputs/mixed'), nonsense: 1 });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('nonsense');
    const badSize = await app.invoke('iris', { ...folderInput('inputs/mixed'), miniBatchSize: 0 });
    expect(badSize.status).toBe(400);
    expect(JSON.stringify(badSize.body)).toMatch(/miniBatchSize/);
    const noEndpoint = await app.invoke('nope', folderInput('inputs/mixed'));
    expect(noEndpoint.status).toBe(404);
    const noDeployment = await app.invoke('iris', folderInput('inputs/mixed'), { 'azureml-model-deployment': 'missing' });
    expect(noDeployment.status).toBe(404);
    const noDatastore = await app.invoke('iris', { InputData: { d: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/nothere/paths/x/' } } });
    expect(noDatastore.status).toBe(400);
    const empty = await app.invoke('iris', folderInput('inputs/nothing-here'));
    expect(empty.status).toBe(202);
    const job = await app.waitForJob('iris', empty.body.name);
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('InputEmpty');
    const missingJob = await app.api('GET', 'batchEndpoints/iris/jobs/batchjob-000000000-00000000');
    expect(missingJob.status).toBe(404);
  });
});
