import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { uploadSampleFiles } from '../../scripts/seedSample';
import { samplesDir, type AppStack } from '../support/appHost';
import { openBrowser, screenshot, type StudioBrowser } from './browser';
import { startStudioApp } from './studioApp';

/**
 * What a new user, at home in Azure ML studio, ran into on the studio's pages (real app, real
 * browser): a long job watched live, its errors and logs while it runs, and bad input in the forms.
 */
let app: AppStack;
let b: StudioBrowser;
let page: Page;
const ds = 'azureml://datastores/workspaceblobstore/paths';

beforeAll(async () => {
  app = await startStudioApp();
  await uploadSampleFiles(app, samplesDir);
  const put = async (path: string, body: unknown) => {
    const res = await app.api('PUT', path, body);
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await put('models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/samples/iris/model` } });
  // A scoring script that takes its time and fails on files named bad: one file per mini-batch, one at a time, no retries.
  await app.uploadText('walk/code/score.js', [
    'module.exports = { init() {}, async run(files) {',
    "  if (files.some((f) => f.includes('bad'))) throw new Error('cannot score ' + files.map((f) => f.split('/').pop()));",
    '  await new Promise((r) => setTimeout(r, 2000));',
    "  console.log('scored', files.length);",
    '  return files.map((f) => f.length);',
    '} };',
  ].join('\n'));
  // Mini-batches follow the file names: one failure first, three slow successes, one failure last.
  for (const name of ['a-bad.txt', 'b.txt', 'c.txt', 'd.txt', 'z-bad.txt']) await app.uploadText(`inputs/walk/${name}`, 'x');
  await put('codes/walk/versions/1', { properties: { codeUri: `${ds}/walk/code` } });
  await put('batchEndpoints/walk', { properties: {} });
  await put('batchEndpoints/walk/deployments/slow', {
    properties: { model: 'azureml:iris:1', codeConfiguration: { codeId: 'azureml:walk:1', scoringScript: 'score.js' }, miniBatchSize: 1, retrySettings: { maxRetries: 0 } },
  });
  expect((await app.api('PATCH', 'batchEndpoints/walk', { properties: { defaults: { deploymentName: 'slow' } } })).status).toBe(200);
  b = await openBrowser();
  page = b.page;
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await page.screenshot({ path: join(tmpdir(), `studio-failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`) }).catch(() => undefined);
});
afterAll(async () => {
  await b?.close();
  await app?.stop();
});

const studio = (path = '') => `${app.host.url}/api/studio/${path}`;
const status = () => page.locator('[data-status]').first().getAttribute('data-status');

describe('studio, as a new user', () => {
  it("shows a running job's logs as its mini-batches finish, and every failed mini-batch once it has ended", async () => {
    await page.goto(studio('endpoints/walk/jobs/new'));
    await page.getByLabel('Path in the datastore').fill('inputs/walk/');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    // While it runs: the first failure is listed, and what a finished mini-batch's scoring wrote can be read.
    const errors = page.getByRole('table', { name: 'Errors' });
    await errors.getByRole('cell', { name: 'a-bad.txt', exact: true }).waitFor({ timeout: 30_000 });
    const stdout = page.getByRole('button', { name: /^user\/stdout\/mini-batch-1\.txt/ });
    await stdout.waitFor({ timeout: 30_000 });
    expect(await status()).toBe('Running');
    await stdout.click();
    expect(await page.getByLabel('Log user/stdout/mini-batch-1.txt').textContent()).toContain('scored 1');
    await screenshot(page, 'job-running-logs');
    // Once ended: both failed mini-batches (the table was read once, when the first failure showed, and kept only it).
    await expect.poll(status, { timeout: 60_000 }).toBe('Completed');
    await expect.poll(() => errors.getByRole('row').count()).toBe(3);
    expect(await errors.textContent()).toContain('z-bad.txt');
    await page.getByRole('button', { name: /^job_progress_overview\.txt/ }).waitFor();
  }, 120_000);
});
