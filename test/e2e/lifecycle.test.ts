import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { AppStack, startApp } from '../support/appHost';
import { repoRoot } from '../support/devhost';

// An endpoint's lifecycle against its jobs: a delete while one runs is refused naming it; once the
// job ended the delete goes through and the job stays readable by id (GET /api/jobs/{id}), through
// its index row, or without one (a job recorded by an older build) by the scan.

let app: AppStack;

beforeAll(async () => {
  app = await startApp();
  const scripts = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
  await app.deploy({ endpoint: 'doomed', deployment: 'script', modelFolder: join(scripts, 'model'), modelType: 'custom_model', codeFolder: join(scripts, 'slow'), settings: { miniBatchSize: 1 } });
  await app.uploadMany([0, 1].map((i) => ({ name: `inputs/doomed/f${i}.txt`, data: String(i) })));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe('deleting an endpoint', () => {
  it('is refused with 409 naming the running jobs; after they end it deletes, and the jobs stay readable by id', async () => {
    const res = await app.invoke('doomed', { InputData: { d: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/inputs/doomed/' }, ms: { JobInputType: 'Literal', Value: '2000' } } });
    const jobId: string = res.body.name;
    const refused = await app.api('DELETE', 'batchEndpoints/doomed');
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.error.code).toBe('EndpointHasRunningJobs');
    expect(refused.body.error.message).toContain(jobId);
    expect(refused.body.error.details.map((d: any) => d.target)).toEqual([jobId]);
    expect((await app.api('GET', 'batchEndpoints/doomed')).status).toBe(200);

    const job = await app.waitForJob('doomed', jobId);
    expect(job.properties.status).toBe('Completed');
    expect((await app.api('DELETE', 'batchEndpoints/doomed')).status).toBe(200);
    expect((await app.api('GET', 'batchEndpoints/doomed')).status).toBe(404);
    const byId = await app.api('GET', `jobs/${jobId}`);
    expect(byId.status).toBe(200);
    expect(byId.body.properties).toMatchObject({ status: 'Completed', endpointName: 'doomed' });
    expect((await app.api('GET', 'jobs/batchjob-nosuchjob-00000000')).status).toBe(404);

    // The index row names the endpoint; without it the job is still found, and indexed again.
    const table = TableClient.fromConnectionString(app.azurite.connectionString, 'jobs', { allowInsecureConnection: true });
    const indexRows = async () => {
      const rows: { partitionKey: string; Endpoint: unknown }[] = [];
      for await (const e of table.listEntities({ queryOptions: { filter: `RowKey eq '${jobId}'` } })) if (e['Spec'] === undefined) rows.push({ partitionKey: e.partitionKey!, Endpoint: e['Endpoint'] });
      return rows;
    };
    const [index] = await indexRows();
    expect(index).toMatchObject({ partitionKey: expect.stringMatching(/^jobid:/), Endpoint: 'doomed' });
    await table.deleteEntity(index!.partitionKey, jobId);
    const scanned = await app.api('GET', `jobs/${jobId}`);
    expect(scanned.status).toBe(200);
    expect(scanned.body.properties).toMatchObject({ status: 'Completed', endpointName: 'doomed' });
    expect(await indexRows()).toEqual([index]);
  }, 120_000);
});
