import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { AppUnderTest, folderInput, samplesDir } from '../support/appHost';

// Small chunks make a 130-file input span several listing-sized plans: the first chunk is planned
// from the first listing page and starts at once; the rest is planned while it runs.
let app: AppUnderTest;
const FILES = 130;
const name = (i: number) => `f${String(i).padStart(4, '0')}.csv`;

beforeAll(async () => {
  app = await AppUnderTest.start({ JOB_CHUNK_SIZE: '2' });
  await app.deploy({ endpoint: 'paged', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 1, maxConcurrencyPerInstance: 4 } });
  await Promise.all(
    Array.from({ length: FILES }, (_, i) => app.uploadText(`inputs/many/${name(i)}`, `sepal_length,sepal_width,petal_length,petal_width\n${(4.5 + (i % 30) / 10).toFixed(1)},3.0,${(1 + (i % 50) / 10).toFixed(1)},${(0.2 + (i % 20) / 10).toFixed(1)}\n`)),
  );
});
afterAll(async () => {
  await app?.stop();
});

describe('inputs larger than one listing page', () => {
  it('scores every file once, in input order, with totals that cover the whole input', async () => {
    const invoke = await app.invoke('paged', folderInput('inputs/many'));
    expect(invoke.status).toBe(202);
    const job = await app.waitForJob('paged', invoke.body.name);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: FILES, miniBatchesSucceeded: FILES, itemsTotal: FILES, itemsSucceeded: FILES, itemsFailed: 0, miniBatchesPending: 0 });
    const lines = (await app.readWorkspaceBlob(`azureml/${invoke.body.name}/score/predictions.csv`))!.trimEnd().split('\n');
    expect(lines.map((l) => l.split(',')[2])).toEqual(Array.from({ length: FILES }, (_, i) => name(i)));
    expect(lines.every((l) => /^0,[012],f\d{4}\.csv$/.test(l))).toBe(true);
  });
});
