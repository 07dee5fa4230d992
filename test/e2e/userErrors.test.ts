import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppStack, startApp, folderInput, samplesDir } from '../support/appHost';
import { repoRoot } from '../support/devhost';

/**
 * What a user gets through real HTTP (devhost, Azurite, the Iris model) where the app used to
 * answer a bare 500 or go wrong silently: an output file name that is not plain ASCII (its
 * content-disposition header could not be sent), a `$skiptoken` on the errors route that the app
 * did not hand out, a mini-batch timeout a timer cannot hold, and `npm run upload` run again after
 * an upload was cut short.
 */

let app: AppStack;

beforeAll(async () => {
  app = await startApp();
  await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 1 } });
  await app.upload('inputs/iris', join(samplesDir, 'data'), (n) => n === 'iris-part-1.csv');
});
afterAll(() => app?.stop());

describe('user-facing answers', () => {
  it('refuses a mini-batch timeout longer than a timer can hold (it would fire at once), in a deployment and in an invoke', async () => {
    const deployment = await app.api('PUT', 'batchEndpoints/iris/deployments/slow', { properties: { model: 'azureml:iris-onnx:1', retrySettings: { timeout: 'P30D' } } });
    expect(deployment.status).toBe(400);
    expect(JSON.stringify(deployment.body.error)).toMatch(/retrySettings\.timeout.*must be at most P24D/);
    expect((await app.api('GET', 'batchEndpoints/iris/deployments/slow')).status).toBe(404);
    const invoke = await app.invoke('iris', { ...folderInput('inputs/iris'), retrySettings: { timeout: 'P30D' } });
    expect(invoke.status).toBe(400);
    expect(JSON.stringify(invoke.body.error)).toMatch(/retrySettings\.timeout.*must be at most P24D/);
  });

  it("refuses a mini-batch timeout the host would cut short (host.json's functionTimeout, 00:30:00), naming both, in a deployment and in an invoke", async () => {
    const slow = (timeout: string) => app.api('PUT', 'batchEndpoints/iris/deployments/slow', { properties: { model: 'azureml:iris-onnx:1', retrySettings: { timeout } } });
    const deployment = await slow('P24D');
    expect(deployment.status).toBe(400);
    expect(deployment.body.error).toMatchObject({ code: 'ValidationError', target: 'properties.retrySettings.timeout' });
    expect(deployment.body.error.message).toContain("P24D, not shorter than the Functions host's functionTimeout of 00:30:00 (host.json)");
    expect((await app.api('GET', 'batchEndpoints/iris/deployments/slow')).status).toBe(404);
    const invoke = await app.invoke('iris', { ...folderInput('inputs/iris'), retrySettings: { timeout: 'PT1H' } });
    expect(invoke.status).toBe(400);
    expect(invoke.body.error.message).toContain('functionTimeout of 00:30:00');
    // The most that fits is accepted.
    expect((await slow('PT29M59S')).status).toBeLessThan(300);
  });

  let jobId: string;

  it('serves the output of a job whose outputFileName is not ASCII, named exactly in filename*', async () => {
    const fileName = '予測 "q".csv';
    const invoke = await app.invoke('iris', { ...folderInput('inputs/iris'), outputFileName: fileName });
    expect(invoke.status).toBe(202);
    jobId = invoke.body.name;
    const job = await app.waitForJob('iris', jobId);
    expect(job.properties.status).toBe('Completed');
    const output = await app.api('GET', `batchEndpoints/iris/jobs/${jobId}/output`);
    expect(output.status).toBe(200);
    expect(output.body).toBe(await app.readWorkspaceBlob(`azureml/${jobId}/score/${fileName}`));
    const disposition = output.headers.get('content-disposition')!;
    expect(disposition).toBe(`attachment; filename="__ _q_.csv"; filename*=UTF-8''${encodeURIComponent(fileName)}`);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe(fileName);
    // The blob to read directly, percent-encoded; the app reads it back decoded once.
    expect(decodeURI(output.headers.get('x-output-uri')!)).toBe(`azureml://datastores/workspaceblobstore/paths/azureml/${jobId}/score/${fileName}`);
  });

  it("answers a $skiptoken the errors route did not hand out with 400 in the error shape", async () => {
    const errors = await app.api('GET', `batchEndpoints/iris/jobs/${jobId}/errors?$skiptoken=garbage`);
    expect(errors.status).toBe(400);
    expect(errors.body).toEqual({ error: { code: 'InvalidQueryParameter', message: 'The continuation token is not valid; start the listing again.', target: '$skiptoken' } });
  });
});

describe('npm run upload', () => {
  it('run again after an upload was cut short sends the missing files, not "Already uploaded"', async () => {
    const exec = promisify(execFile);
    const token = await app.token(['BatchEndpoints.Manage']);
    // The app's URL from --url, or from AZMLB_URL as azmlb reads it.
    const upload = (urlFrom: 'flag' | 'env' = 'flag') =>
      exec(process.execPath, [join(repoRoot, 'dist', 'scripts', 'upload.js'), join(samplesDir, 'model'), ...(urlFrom === 'flag' ? ['--url', app.host.url] : []), '--token', token], {
        env: { ...process.env, AZMLB_URL: urlFrom === 'env' ? app.host.url : '' },
      });
    const first = await upload();
    const folder = first.stdout.trim().replace('azureml://datastores/workspaceblobstore/paths/', '');
    const expected = readdirSync(join(samplesDir, 'model')).map((n) => `${folder}${n}`).sort();
    expect((await app.listWorkspaceBlobs(folder)).sort()).toEqual(expected);
    // The first upload was cut short: one file never arrived.
    await app.workspace().deleteBlob(`${folder}model.onnx`);
    const again = await upload();
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).toMatch(/Uploaded the 1 missing of/);
    expect((await app.listWorkspaceBlobs(folder)).sort()).toEqual(expected);
    // Now complete: a third run sends nothing.
    expect((await upload('env')).stderr).toMatch(/Already uploaded/);
  }, 60_000);
});
