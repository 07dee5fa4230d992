import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { uploadSampleFiles } from '../../scripts/seedSample';
import { samplesDir, type AppStack } from '../support/appHost';
import { openBrowser, screenshot, screenshotOnFailure, type StudioBrowser } from './browser';
import { startStudioApp } from './studioApp';

/**
 * What a new user, at home in Azure ML studio, ran into on the studio's pages (real app, real
 * browser): a long job watched live, its errors and logs while it runs, and bad input in the forms.
 */
let app: AppStack;
let b: StudioBrowser;
let page: Page;
const ds = 'azureml://datastores/workspaceblobstore/paths';
/** A long file name (hashed names are common), one unbroken word in the Errors table. */
const firstBad = `a-bad-${'0123456789abcdef'.repeat(8)}.txt`;

beforeAll(async () => {
  app = await startStudioApp();
  await uploadSampleFiles(app, samplesDir);
  const put = (path: string, body: unknown) => app.apiOk('PUT', path, body);
  await put('models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/samples/iris/model` } });
  // A scoring script that takes its time and fails on files named bad: one file per mini-batch, one at a time, no retries.
  await app.uploadText('walk/code/score.js', [
    'module.exports = { init() {}, async run(files) {',
    // The local path in the message, as scripts do: one long unbroken word.
    "  if (files.some((f) => f.includes('bad'))) throw new Error('cannot score ' + files.join(', '));",
    '  await new Promise((r) => setTimeout(r, 2000));',
    "  console.log('scored', files.length);",
    '  return files.map((f) => f.length);',
    '} };',
  ].join('\n'));
  // Mini-batches follow the file names: one failure first, three slow successes, one failure last.
  for (const name of [firstBad, 'b.txt', 'c.txt', 'd.txt', 'z-bad.txt']) await app.uploadText(`inputs/walk/${name}`, 'x');
  await put('codes/walk/versions/1', { properties: { codeUri: `${ds}/walk/code` } });
  await put('batchEndpoints/walk', { properties: {} });
  await put('batchEndpoints/walk/deployments/slow', {
    properties: { model: 'azureml:iris:1', codeConfiguration: { codeId: 'azureml:walk:1', scoringScript: 'score.js' }, miniBatchSize: 1, retrySettings: { maxRetries: 0 } },
  });
  expect((await app.api('PATCH', 'batchEndpoints/walk', { properties: { defaults: { deploymentName: 'slow' } } })).status).toBe(200);
  b = await openBrowser();
  page = b.page;
});
afterEach((context) => screenshotOnFailure(page, context.task));
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
    await errors.getByRole('cell', { name: firstBad, exact: true }).waitFor({ timeout: 30_000 });
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
    // A long name in an error wraps inside its cell: the page does not grow sideways past the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: /^job_progress_overview\.txt/ }).waitFor();
    // The throughput chart counts failed items too (the miniBatches route reported 0 for a mini-batch that failed for good).
    await page.getByRole('img', { name: /^Items done over time: 5 items in/ }).waitFor();
    const jobId = (await page.getByRole('heading', { name: /^Job / }).textContent())!.replace(/^Job /, '');
    const timings = await app.api('GET', `batchEndpoints/walk/jobs/${jobId}/miniBatches`);
    expect(timings.body.value.map((m: any) => [m.status, m.succeededItems, m.failedItems])).toEqual([['Failed', 0, 1], ...Array(3).fill(['Succeeded', 1, 0]), ['Failed', 0, 1]]);
  }, 120_000);
  it('names a bad setting by its field in the wizard, and leaves no endpoint behind when the API refuses the deployment', async () => {
    await page.goto(studio('endpoints/new'));
    await page.getByLabel('Endpoint name').fill('half');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('combobox', { name: 'Model' }).click();
    await page.getByRole('option', { name: 'iris' }).click();
    await expect.poll(() => page.getByLabel('Version').inputValue()).toBe('1');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: /No code/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Deployment name').fill('blue');
    await page.getByLabel('Mini-batch size').fill('0');
    await page.getByLabel('Timeout (seconds)').fill('');
    // Each bad value is named at its field, and the wizard stays on this step.
    await page.getByText('Enter 1 or more.').waitFor();
    await page.getByText('Enter a whole number.').waitFor();
    // A message under one field leaves its neighbour's box as it was (the grid stretched it to the row's height).
    const height = async (label: string) => (await page.getByLabel(label).boundingBox())!.height;
    expect(await height('Instance count')).toBe(await height('Deployment name'));
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert', { name: 'Error' }).textContent()).toContain('Correct the settings marked above.');
    expect(await page.getByLabel('Deployment name').count()).toBe(1);
    await screenshot(page, 'wizard-bad-settings');
    // A timeout the page cannot judge (longer than the host's functionTimeout, 30 min): the API refuses the deployment.
    await page.getByLabel('Mini-batch size').fill('5');
    await page.getByLabel('Timeout (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const refusal = (await page.getByRole('alert', { name: /ValidationError/ }).textContent())!;
    expect(refusal).toMatch(/^400 ValidationError.*functionTimeout/);
    // Said once: the API's message and its one detail are the same sentence.
    expect(refusal.split('not shorter than').length - 1).toBe(1);
    // Nothing was left half made: no endpoint without its deployment, so its name is still free in the wizard.
    expect((await app.api('GET', 'batchEndpoints/half')).status).toBe(404);
    for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('combobox', { name: 'Model' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Timeout (seconds)').fill('60');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Endpoint half' }).waitFor();
    expect((await app.api('GET', 'batchEndpoints/half/deployments/blue')).body.properties).toMatchObject({ miniBatchSize: 5, retrySettings: { timeout: 'PT60S' } });
  });

  it('names a bad input name, literal name or override at its field in Create job, and sends nothing', async () => {
    const jobsBefore = (await app.api('GET', 'batchEndpoints/walk/jobs')).body.value.length;
    await page.goto(studio('endpoints/walk/jobs/new'));
    await page.getByLabel('Path in the datastore').fill('inputs/walk/');
    await page.getByLabel('Input name').fill('');
    await page.getByRole('button', { name: 'Create job' }).click();
    // Was: 400 ValidationError "properties.InputData. is not an allowed key", after a round trip.
    expect(await page.getByRole('alert', { name: 'Error' }).textContent()).toContain('Input name: Start with a letter or "_"');
    await page.getByLabel('Input name').fill('data');
    await page.getByRole('button', { name: 'Add literal input' }).click();
    await page.getByLabel('Literal 1 name').fill('data');
    await page.getByText('The input data has this name already.').waitFor();
    await page.getByLabel('Literal 1 name').fill('threshold');
    await page.getByRole('switch', { name: 'Override deployment settings' }).check();
    await page.getByLabel('Mini-batch size').fill('');
    await page.getByLabel('Error threshold').fill('-2');
    await page.getByText('Enter a whole number.').waitFor();
    await page.getByText('Enter -1 (any number of failed items) or more.').waitFor();
    await page.getByRole('button', { name: 'Create job' }).click();
    expect(await page.getByRole('alert', { name: 'Error' }).textContent()).toContain('Correct the settings marked above');
    await screenshot(page, 'create-job-bad-input');
    expect((await app.api('GET', 'batchEndpoints/walk/jobs')).body.value.length).toBe(jobsBefore);
    expect(b.pageErrors).toEqual([]);
  });
  it('gives each page its own document title, as screen readers announce it and browser tabs and history show it', async () => {
    await page.goto(studio());
    await page.getByRole('heading', { name: 'Batch endpoints' }).waitFor();
    await expect.poll(() => page.title()).toBe('Batch endpoints - Batch endpoints studio');
    await page.getByRole('link', { name: 'walk' }).click();
    await page.getByRole('heading', { name: 'Endpoint walk' }).waitFor();
    await expect.poll(() => page.title()).toBe('Endpoint walk - Batch endpoints studio');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Create job on walk' }).waitFor();
    await expect.poll(() => page.title()).toBe('Create job on walk - Batch endpoints studio');
    await page.goBack();
    await page.getByRole('heading', { name: 'Endpoint walk' }).waitFor();
    await expect.poll(() => page.title()).toBe('Endpoint walk - Batch endpoints studio');
  });
  it("says the app's own datastores are built in rather than created on 1 January 1970", async () => {
    await page.goto(studio('datastores'));
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'workspaceblobstore' }) });
    await row.waitFor();
    expect(await row.getByRole('cell').last().textContent()).toBe('built in');
    expect(await page.getByRole('table', { name: 'Datastores' }).textContent()).not.toMatch(/1970/);
  });
  it('pages past the first 200 entries of a folder in the datastore browser', async () => {
    await Promise.all(Array.from({ length: 205 }, (_, i) => app.uploadText(`inputs/many/f${String(i).padStart(3, '0')}.csv`, 'x')));
    await page.goto(studio('endpoints/walk/jobs/new'));
    await page.getByRole('button', { name: 'Browse the datastore' }).click();
    for (const folder of ['inputs/', 'many/']) await page.getByRole('button', { name: `Open folder ${folder}` }).click();
    await page.getByRole('button', { name: 'Pick file f000.csv' }).waitFor();
    // Was: the first page only, 200 files, with nothing saying there were more.
    expect(await page.getByRole('button', { name: /^Pick file / }).count()).toBe(200);
    await page.getByText('200 shown.').waitFor();
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByRole('button', { name: 'Pick file f204.csv' }).click();
    expect(await page.getByLabel('Path in the datastore').inputValue()).toBe('inputs/many/f204.csv');
  });
  it('keeps keyboard focus in the datastore browser when a folder is opened', async () => {
    await page.goto(studio('endpoints/walk/jobs/new'));
    await page.getByRole('button', { name: 'Browse the datastore' }).click();
    await page.getByRole('button', { name: 'Open folder inputs/' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Open folder walk/' }).waitFor();
    // Was: the pressed button went away with the listing and focus fell to the page's start (document.body).
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^workspaceblobstore\/inputs\//);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Up one folder');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^Open folder /);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^Pick file / }).first().waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/^workspaceblobstore\/inputs\/[^/]+\//);
  });
  it('checks a typed datastore path before the job starts: nothing there, or a file given as a folder', async () => {
    const jobsBefore = (await app.api('GET', 'batchEndpoints/walk/jobs')).body.value.length;
    await page.goto(studio('endpoints/walk/jobs/new'));
    const path = page.getByLabel('Path in the datastore');
    await path.fill('inputs/nowhere/');
    await path.blur();
    await page.getByText('There is nothing at inputs/nowhere/ in workspaceblobstore.').waitFor();
    await page.getByRole('button', { name: 'Create job' }).click();
    expect(await page.getByRole('alert', { name: 'Error' }).textContent()).toContain('Input: There is nothing at inputs/nowhere/');
    // Was: a job that failed with "The input folder '.../b.txt' has no files" (Folder is the default type).
    await path.fill('inputs/walk/b.txt');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByText('inputs/walk/b.txt is a file: choose File (uri_file), or give its folder.').first().waitFor();
    expect((await app.api('GET', 'batchEndpoints/walk/jobs')).body.value.length).toBe(jobsBefore);
    await page.getByRole('radio', { name: 'File (uri_file)' }).check();
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    await expect.poll(status, { timeout: 30_000 }).toBe('Completed');
    await page.getByText('Items: 1 succeeded, 0 failed, of 1').waitFor();
  });
  it('keeps following a running job after a refresh fails (a network blip, a host restarting), and says so meanwhile', async () => {
    await page.goto(studio('endpoints/walk/jobs/new'));
    await page.getByLabel('Path in the datastore').fill('inputs/walk/');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    await expect.poll(status, { timeout: 30_000 }).toBe('Running');
    const jobId = (await page.getByRole('heading', { name: /^Job / }).textContent())!.replace(/^Job /, '');
    // The page's reads of the job fail in the browser's network for a while; the app itself runs on.
    const jobUrl = (url: URL) => url.pathname === `/api/batchEndpoints/walk/jobs/${jobId}`;
    await page.route(jobUrl, (route) => route.abort('connectionrefused'));
    const outage = page.getByRole('alert', { name: /could not be refreshed/ });
    await outage.waitFor();
    await page.unroute(jobUrl);
    // Was: the first failed read ended the polling, and the page stayed "Running" for good, saying nothing.
    await expect.poll(status, { timeout: 60_000 }).toBe('Completed');
    expect(await outage.count()).toBe(0);
  }, 120_000);
  it('lists jobs past the newest 50 in the Runs tab', async () => {
    expect((await app.api('PUT', 'batchEndpoints/busy', { properties: {} })).status).toBe(201);
    expect((await app.api('PUT', 'batchEndpoints/busy/deployments/nocode', { properties: { model: 'azureml:iris:1' } })).status).toBe(201);
    // 52 jobs that end at once (their input folder is empty).
    const invoke = { properties: { InputData: { data: { JobInputType: 'UriFolder', Uri: `${ds}/inputs/empty/` } } } };
    const names: string[] = [];
    for (let i = 0; i < 52; i++) names.push((await app.api('POST', 'batchEndpoints/busy/jobs', invoke, { headers: { 'azureml-model-deployment': 'nocode' } })).body.name);
    await page.goto(studio('endpoints/busy/runs'));
    const table = page.getByRole('table', { name: 'Jobs' });
    await table.waitFor();
    // Was: the newest 50, and nothing saying there were more.
    expect(await table.getByRole('row').count()).toBe(51);
    await page.getByText('50 shown.').waitFor();
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => table.getByRole('row').count()).toBe(53);
    await table.getByRole('link', { name: names[0] }).waitFor();
    expect(await page.getByRole('button', { name: 'Show more' }).count()).toBe(0);
  }, 120_000);
  it('lists every failed mini-batch of a job past the errors route\'s first 100', async () => {
    await Promise.all(Array.from({ length: 101 }, (_, i) => app.uploadText(`inputs/broken/b${String(i).padStart(3, '0')}.csv`, 'this,is\nnot,iris\n')));
    // One good file: a job in which nothing succeeds fails (NoSucceededItems).
    await app.uploadText('inputs/broken/ok.csv', (await app.readWorkspaceBlob('samples/iris/data/iris-part-1.csv'))!);
    expect((await app.api('PUT', 'batchEndpoints/broken', { properties: {} })).status).toBe(201);
    const deployment = { properties: { model: 'azureml:iris:1', miniBatchSize: 1, maxConcurrencyPerInstance: 4, retrySettings: { maxRetries: 0 } } };
    expect((await app.api('PUT', 'batchEndpoints/broken/deployments/each', deployment)).status).toBe(201);
    const invoke = { properties: { InputData: { data: { JobInputType: 'UriFolder', Uri: `${ds}/inputs/broken/` } } } };
    const jobId = (await app.api('POST', 'batchEndpoints/broken/jobs', invoke, { headers: { 'azureml-model-deployment': 'each' } })).body.name;
    await page.goto(studio(`endpoints/broken/jobs/${jobId}`));
    await expect.poll(async () => ['Completed', 'Failed'].includes((await status()) ?? ''), { timeout: 90_000 }).toBe(true);
    const ended = (await app.job('broken', jobId)).properties;
    expect([ended.status, ended.error]).toEqual(['Completed', undefined]);
    const errors = page.getByRole('table', { name: 'Errors' });
    await expect.poll(() => errors.getByRole('row').count()).toBe(101);
    // Was: 100 rows (the route's first page), and nothing saying there were more.
    await page.getByText('100 shown.').waitFor();
    await page.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => errors.getByRole('row').count()).toBe(102);
    await errors.getByRole('cell', { name: 'b100.csv', exact: true }).waitFor();
  }, 150_000);
  it('loads without a failed request in the console (the browser asked the host for /favicon.ico)', async () => {
    const failed: string[] = [];
    const listen = (msg: { type(): string; text(): string }) => {
      if (msg.type() === 'error') failed.push(msg.text());
    };
    page.on('console', listen);
    await page.goto(studio());
    await page.getByRole('link', { name: 'walk' }).waitFor();
    await page.waitForTimeout(1000);
    page.off('console', listen);
    expect(failed).toEqual([]);
  });
  it("moves keyboard focus to the wizard's new step, so a screen reader says which step it is", async () => {
    await page.goto(studio('endpoints/new'));
    await page.getByLabel('Endpoint name').fill('by-keys');
    await page.getByRole('button', { name: 'Next' }).focus();
    await page.keyboard.press('Enter');
    // Was: focus stayed on Next, below the new step's fields, and nothing announced the step.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Model');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('combobox');
    await page.getByRole('button', { name: 'Back' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Endpoint');
  });
  it('says a model or data asset that is not registered is not there, and offers no deployment of it', async () => {
    await page.goto(studio('models/irsi'));
    await page.getByText('No model named irsi is registered.').waitFor();
    expect(await page.getByRole('button', { name: 'Deploy to batch endpoint' }).count()).toBe(0);
    await page.goto(studio('models/iris'));
    await page.getByRole('button', { name: 'Deploy to batch endpoint' }).waitFor();
    await page.goto(studio('data/nothing'));
    await page.getByText('No data asset named nothing is registered.').waitFor();
  });
  it('cancels a job from the keyboard without losing focus, and reports its status in a live region', async () => {
    await page.goto(studio('endpoints/walk/jobs/new'));
    await page.getByLabel('Path in the datastore').fill('inputs/walk/');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    await expect.poll(status, { timeout: 30_000 }).toBe('Running');
    // A screen reader hears the status change where it is (role status is a polite live region).
    const live = page.getByRole('status').filter({ has: page.locator('[data-status]') });
    expect(await live.textContent()).toBe('Running');
    await page.getByRole('button', { name: 'Cancel job' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(status, { timeout: 30_000 }).toBe('Canceled');
    expect(await live.textContent()).toBe('Canceled');
    // Was: the Cancel job button went away with the running job and focus fell to document.body.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
  }, 60_000);
});
