import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { AppStack, startApp, folderInput, samplesDir } from '../support/appHost';

// Small chunks make a 130-file input span several listing-sized plans: the first chunk is planned
// from the first listing page and starts at once; the rest is planned while it runs.
// OUTPUT_DIRECT_BLOCKS=4 makes the job write as a job of more than 40,000 mini-batches does: the
// first 4 mini-batches (chunks 0-1) stage blocks on the output blob, every later chunk writes a
// part blob that is sealed and copied onto the output when the chunk is done.
let app: AppStack;
const FILES = 130;
const CHUNK = 2;
const DIRECT = 4;
const name = (i: number) => `f${String(i).padStart(4, '0')}.csv`;
const row = (i: number) => `${(4.5 + (i % 30) / 10).toFixed(1)},3.0,${(1 + (i % 50) / 10).toFixed(1)},${(0.2 + (i % 20) / 10).toFixed(1)}`;

beforeAll(async () => {
  app = await startApp({ JOB_CHUNK_SIZE: String(CHUNK), OUTPUT_DIRECT_BLOCKS: String(DIRECT) });
  await app.deploy({ endpoint: 'paged', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 1, maxConcurrencyPerInstance: 4 } });
  await Promise.all(Array.from({ length: FILES }, (_, i) => app.uploadText(`inputs/many/${name(i)}`, `sepal_length,sepal_width,petal_length,petal_width\n${row(i)}\n`)));
});
afterAll(async () => {
  await app?.stop();
});

/** Waits until the job's plans and parts are deleted from the scratch container (right after it ends). */
const scratchDeleted = (jobId: string) =>
  app.waitUntil(`scratch of ${jobId} deleted`, async () => {
    for await (const _ of app.blob.getContainerClient('batch-job-plans').listBlobsFlat({ prefix: `${jobId}/` })) return false;
    return true;
  });

describe('inputs larger than one listing page, outputs written through parts', () => {
  it('scores every file once, in input order, with totals that cover the whole input', async () => {
    const invoke = await app.invoke('paged', folderInput('inputs/many'));
    expect(invoke.status).toBe(202);
    const jobId = invoke.body.name as string;
    const job = await app.waitForJob('paged', jobId);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: FILES, miniBatchesSucceeded: FILES, itemsTotal: FILES, itemsSucceeded: FILES, itemsFailed: 0, miniBatchesPending: 0 });
    const output = `azureml/${jobId}/score/predictions.csv`;
    const lines = (await app.readWorkspaceBlob(output))!.trimEnd().split('\n');
    expect(lines.map((l) => l.split(',')[2])).toEqual(Array.from({ length: FILES }, (_, i) => name(i)));
    expect(lines.every((l) => /^0,[012],f\d{4}\.csv$/.test(l))).toBe(true);

    // One block per direct mini-batch, then one per part (each chunk's part is one slice).
    const blocks = await app.workspace().getBlockBlobClient(output).getBlockList('committed');
    const chunks = Math.ceil(FILES / CHUNK);
    expect(blocks.committedBlocks).toHaveLength(DIRECT + (chunks - DIRECT / CHUNK));
    expect(new Set(blocks.committedBlocks!.map((b) => b.name.length)).size).toBe(1);
    // The plan and the parts are deleted once the job has ended.
    await scratchDeleted(jobId);
  });

  it('keeps a part without the rows of its failed files, and the direct rows before it', async () => {
    await Promise.all(Array.from({ length: 9 }, (_, i) => app.uploadText(`inputs/mixed/${name(i)}`, i === 1 || i === 6 ? 'not,a\n"broken' : `sepal_length,sepal_width,petal_length,petal_width\n${row(i)}\n`)));
    const invoke = await app.invoke('paged', { ...folderInput('inputs/mixed'), errorThreshold: -1 });
    expect(invoke.status, JSON.stringify(invoke.body)).toBe(202);
    const job = await app.waitForJob('paged', invoke.body.name);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ itemsSucceeded: 7, itemsFailed: 2 });
    const lines = (await app.readWorkspaceBlob(`azureml/${invoke.body.name}/score/predictions.csv`))!.trimEnd().split('\n');
    expect(lines.map((l) => l.split(',')[2])).toEqual([0, 2, 3, 4, 5, 7, 8].map(name));
    await scratchDeleted(invoke.body.name);
  });
});
