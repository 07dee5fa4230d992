import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { uploadSampleFiles } from '../../scripts/seedSample';
import { samplesDir, type AppStack } from '../support/appHost';
import { openBrowser, screenshot, screenshotOnFailure, seriousViolations, type StudioBrowser } from './browser';
import { startStudioApp } from './studioApp';

/**
 * Azure ML studio's batch endpoint flow, in a real browser against the real app: create an
 * endpoint and deployment with the wizard, create jobs (overrides, datastore input, switching
 * the default), watch them run, read outputs and errors, delete, and see the page as a Read user.
 */
let app: AppStack;
let b: StudioBrowser;
let page: Page;
const ds = 'azureml://datastores/workspaceblobstore/paths';

beforeAll(async () => {
  app = await startStudioApp();
  await uploadSampleFiles(app, samplesDir);
  await app.uploadText('inputs/bad/bad.csv', 'this,is\nnot,iris\n');
  await app.uploadText('outputs/taken.csv', 'already here\n');
  const put = (path: string, body: unknown) => app.apiOk('PUT', path, body);
  await put('models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/samples/iris/model`, description: 'Iris (ONNX, MLflow layout)' } });
  await put('codes/iris-score/versions/1', { properties: { codeUri: `${ds}/samples/iris/score` } });
  await put('data/iris-data/versions/1', { properties: { dataType: 'uri_folder', dataUri: `${ds}/samples/iris/data/`, description: 'Iris rows' } });
  b = await openBrowser();
  page = b.page;
});
afterEach((context) => screenshotOnFailure(page, context.task));
afterAll(async () => {
  await b?.close();
  await app?.stop();
});

const studio = (path = '') => `${app.host.url}/api/studio/${path}`;

async function expectAccessible(name: string): Promise<void> {
  expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  // A closed dialog must not leave the page hidden from screen readers (axe does not see that).
  expect(await page.locator('#root[aria-hidden="true"]').count(), `page hidden on ${name}`).toBe(0);
  await screenshot(page, name);
}

/** Walks the wizard from its current step; fields are found by their labels, as a screen reader would. */
async function wizard(options: { endpoint?: string; model?: string; script?: boolean; codeId?: string; deployment: string; miniBatchSize?: string; screenshots?: boolean }) {
  if (options.endpoint) {
    await page.getByLabel('Endpoint name').fill(options.endpoint);
    await page.getByRole('button', { name: 'Next' }).click();
  }
  if (options.model) {
    await page.getByRole('combobox', { name: 'Model' }).click();
    await page.getByRole('option', { name: options.model }).click();
  }
  await expect.poll(() => page.getByLabel('Version').inputValue()).toBe('1');
  await page.getByRole('button', { name: 'Next' }).click();
  if (options.script) {
    await page.getByRole('radio', { name: 'Scoring script' }).check();
    await page.getByLabel('Code asset').fill(options.codeId ?? 'azureml:iris-score:1');
  } else {
    await page.getByRole('radio', { name: /No code/ }).check();
  }
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Deployment name').fill(options.deployment);
  // Azure ML's defaults are shown before anything is changed.
  expect(await page.getByLabel('Mini-batch size').inputValue()).toBe('10');
  expect(await page.getByLabel('Error threshold').inputValue()).toBe('-1');
  expect(await page.getByLabel('Output file name').inputValue()).toBe('predictions.csv');
  if (options.miniBatchSize) await page.getByLabel('Mini-batch size').fill(options.miniBatchSize);
  if (options.screenshots) await expectAccessible('wizard-settings');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('list', { name: 'Review' }).or(page.locator('dl[aria-label="Review"]')).waitFor();
  if (options.screenshots) await expectAccessible('wizard-review');
  await page.getByRole('button', { name: 'Create' }).click();
}

const FINAL_STATUSES = new Set(['Completed', 'Failed', 'Canceled']);
const status = () => page.locator('h1 + [data-status], [data-status]').first().getAttribute('data-status');

describe('studio in Chromium', () => {
  it('signs in locally with all roles and shows the empty Endpoints page', async () => {
    await page.goto(studio());
    await page.getByRole('heading', { name: 'Batch endpoints' }).waitFor();
    await expect.poll(() => page.getByTestId('signed-in-user').textContent()).toContain('Local Developer');
    await page.getByText('No batch endpoints yet').waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Create' }).isVisible()).toBe(true);
  });

  it('works from the keyboard: skip link, then Create opens the wizard with focus on its heading', async () => {
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Create');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Create batch endpoint' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Create batch endpoint');
    // The first field is the next Tab stop after the step list.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.labels?.[0]?.textContent)).toMatch(/^Endpoint name/);
  });

  it('leaves focus where the user put it on a new page before its heading took it', async () => {
    await page.goto(studio());
    await page.getByRole('button', { name: 'Create' }).waitFor();
    // In one page task: open the wizard, focus its first field at once, wait past the heading's focus poll (50 ms).
    // Taking focus away from a field the user is in closed the Model dropdown just opened (a flake under load).
    const kept = await page.evaluate(async () => {
      const create = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Create')!;
      create.click();
      const field = await new Promise<HTMLInputElement>((resolve) => {
        const look = () => {
          const found = [...document.querySelectorAll('input')].find((i) => i.labels?.[0]?.textContent?.startsWith('Endpoint name'));
          if (found) resolve(found);
          else requestAnimationFrame(look);
        };
        look();
      });
      field.focus();
      await new Promise((r) => setTimeout(r, 500));
      return document.activeElement === field ? 'field' : `${document.activeElement?.tagName} ${document.activeElement?.textContent}`;
    });
    expect(kept).toBe('field');
  });

  it('creates an endpoint and its no-code deployment with the wizard from the Endpoints page', async () => {
    await page.getByRole('heading', { name: 'Create batch endpoint' }).waitFor();
    await wizard({ endpoint: 'flowers', model: 'iris', deployment: 'nocode', miniBatchSize: '2', screenshots: true });
    await page.getByRole('heading', { name: 'Endpoint flowers' }).waitFor();
    await expect.poll(() => page.getByTestId('default-deployment').textContent()).toBe('nocode');
    const deployment = await app.api('GET', 'batchEndpoints/flowers/deployments/nocode');
    expect(deployment.body.properties).toMatchObject({ model: { assetId: 'azureml:iris:1' }, miniBatchSize: 2, errorThreshold: -1, outputFileName: 'predictions.csv' });
    expect(deployment.body.properties.codeConfiguration).toBeUndefined();
    expect(await page.getByLabel('Scoring URI', { exact: true }).inputValue()).toBe(`${app.host.url}/api/batchEndpoints/flowers/jobs`);
    await expectAccessible('endpoint-details');
  });

  it('adds a scripted deployment to the endpoint (not the default)', async () => {
    await page.getByRole('button', { name: 'Add deployment' }).click();
    await page.getByRole('heading', { name: 'Add deployment to flowers' }).waitFor();
    await page.getByRole('combobox', { name: 'Model' }).click();
    await page.getByRole('option', { name: 'iris' }).click();
    await wizard({ script: true, deployment: 'script', codeId: 'azureml:missing:1' });
    // The API refuses the missing code asset: its status, code and message are shown, the wizard stays.
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^400 InvalidReference.*missing/);
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByLabel('Code asset').fill('azureml:iris-score:1');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: 'Endpoint flowers' }).waitFor();
    await page.locator('[data-deployment="script"]').waitFor();
    await expect.poll(() => page.getByTestId('default-deployment').textContent()).toBe('nocode');
    const deployment = await app.api('GET', 'batchEndpoints/flowers/deployments/script');
    expect(deployment.body.properties.codeConfiguration).toEqual({ codeId: 'azureml:iris-score:1', scoringScript: 'score.js' });
  });

  it('creates a job with overridden settings over a datastore folder and watches it complete, then previews the output', async () => {
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: 'Create job on flowers' }).waitFor();
    await page.getByRole('switch', { name: 'Override deployment settings' }).check();
    // The override fields start at the deployment's own values.
    expect(await page.getByLabel('Mini-batch size').inputValue()).toBe('2');
    await page.getByLabel('Mini-batch size').fill('1');
    await page.getByLabel('Output file name').fill('iris-scores.csv');
    // The input folder is picked in the datastore browser, one folder level at a time.
    await page.getByRole('button', { name: 'Browse the datastore' }).click();
    for (const folder of ['samples/', 'iris/', 'data/']) await page.getByRole('button', { name: `Open folder ${folder}` }).click();
    await page.getByRole('button', { name: 'Pick file iris.parquet' }).waitFor();
    await page.getByRole('button', { name: 'Use this folder' }).click();
    expect(await page.getByLabel('Path in the datastore').inputValue()).toBe('samples/iris/data/');
    await expectAccessible('create-job');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    const jobId = (await page.getByRole('heading', { name: /^Job / }).textContent())!.replace(/^Job /, '');
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow')) ?? '');
          return status();
        },
        { timeout: 40_000, interval: 100 },
      )
      .toBe('Completed');
    await page.getByText('Mini-batches: 5 succeeded, 0 failed, 0 running, 0 pending, of 5').waitFor();
    expect(seen.size, `progress values seen: ${[...seen]}`).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByRole('progressbar', { name: 'Job progress' }).getAttribute('aria-valuenow')).toBe('1');
    await expect.poll(() => page.getByTestId('effective-settings').textContent()).toContain('mini-batch size 1');
    const job = await app.job('flowers', jobId);
    expect(job.properties).toMatchObject({ status: 'Completed', miniBatchSize: 1, outputFileName: 'iris-scores.csv', deploymentName: 'nocode' });
    // The preview is the head of the real output file.
    const preview = page.getByRole('table', { name: 'Output preview' });
    await preview.waitFor();
    const output = await app.readWorkspaceBlob(`azureml/${jobId}/score/iris-scores.csv`);
    const firstLine = output!.split('\n')[0]!.split(',');
    expect(await preview.getByRole('row').first().getByRole('cell').allTextContents()).toEqual(firstLine);
    expect(await preview.getByRole('row').count()).toBe(20);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download iris-scores.csv' }).click();
    expect((await download).suggestedFilename()).toBe('iris-scores.csv');
    // Where the time went: the per-mini-batch route, and the charts and slowest list drawn from it.
    const timings = await app.api('GET', `batchEndpoints/flowers/jobs/${jobId}/miniBatches`, undefined, { roles: ['BatchEndpoints.Read'] });
    expect(timings.status).toBe(200);
    expect(timings.body.value.map((m: any) => [m.index, m.status, m.files.length])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 'Succeeded', 1]));
    for (const m of timings.body.value) {
      expect(m.durationMs).toBeGreaterThan(0);
      expect(Date.parse(m.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.properties.startTime));
    }
    const paged = await app.api('GET', `batchEndpoints/flowers/jobs/${jobId}/miniBatches?$top=2`);
    expect(paged.body.value.map((m: any) => m.index)).toEqual([0, 1]);
    expect(new URL(paged.body.nextLink).searchParams.get('from')).toBe('2');
    await page.getByRole('img', { name: /^Items done over time: 5 items in/ }).waitFor();
    await page.getByRole('img', { name: /^Duration of each of 5 mini-batches/ }).waitFor();
    const slowest = page.getByRole('table', { name: 'Slowest mini-batches' });
    expect(await slowest.getByRole('row').count()).toBe(6);
    const slowestIndex = [...timings.body.value].sort((a: any, b: any) => b.durationMs - a.durationMs)[0].index;
    expect(await slowest.getByRole('row').nth(1).getByRole('cell').first().textContent()).toBe(String(slowestIndex));
    // The logs the job wrote, listed and read through the API.
    await page.getByRole('button', { name: /^job_progress_overview\.txt/ }).click();
    const overview = await page.getByLabel('Log job_progress_overview.txt').textContent();
    expect(overview).toContain(`Job ${jobId} (flowers/nocode): Completed`);
    expect(overview).toBe(await app.readWorkspaceBlob(`azureml/${jobId}/logs/job_progress_overview.txt`));
    const logs = await app.api('GET', `batchEndpoints/flowers/jobs/${jobId}/logs`, undefined, { roles: ['BatchEndpoints.Read'] });
    // The job's own logs, and what each of its 5 mini-batches' scoring wrote (user/stdout).
    expect(logs.body.value.map((l: any) => l.name).sort()).toEqual(['job_progress_overview.txt', 'user/error.txt', ...[0, 1, 2, 3, 4].map((i) => `user/stdout/mini-batch-${i}.txt`)]);
    expect((await app.api('GET', `batchEndpoints/flowers/jobs/${jobId}/logs/nope.txt`)).status).toBe(404);
    expect((await app.api('GET', `batchEndpoints/flowers/jobs/${jobId}/logs/user/..%2F..%2Fscore/iris-scores.csv`)).status).toBe(400);
    await expectAccessible('job-completed');
  }, 120_000);

  it('shows an existing output location as a clear 409 before anything starts', async () => {
    await page.goto(studio('endpoints/flowers/jobs/new'));
    await page.getByLabel('Path in the datastore').fill('samples/iris/data/');
    await page.getByRole('switch', { name: 'Configure output location' }).check();
    await page.getByLabel('Output path').fill('outputs/taken.csv');
    await page.getByLabel('Output path').blur();
    // Checked as soon as the path is entered, and again on submit; nothing is sent.
    await page.getByText('outputs/taken.csv already exists: choose a new path.').waitFor();
    const jobsBefore = (await app.api('GET', 'batchEndpoints/flowers/jobs')).body.value.length;
    await page.getByRole('button', { name: 'Create job' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'OutputAlreadyExists' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/already exists.*409 OutputAlreadyExists/);
    expect((await app.api('GET', 'batchEndpoints/flowers/jobs')).body.value.length).toBe(jobsBefore);
    await screenshot(page, 'create-job-409');
  });

  it('creates a job on the scripted deployment, making it the default on the way, over one datastore file', async () => {
    await page.goto(studio('endpoints/flowers/jobs/new'));
    await page.getByLabel('Deployment', { exact: true }).selectOption('script');
    await page.getByRole('checkbox', { name: "Make this the endpoint's default deployment" }).check();
    await page.getByRole('button', { name: 'Browse the datastore' }).click();
    for (const folder of ['samples/', 'iris/', 'data/']) await page.getByRole('button', { name: `Open folder ${folder}` }).click();
    await page.getByRole('button', { name: 'Pick file iris-part-1.csv' }).click();
    expect(await page.getByLabel('Path in the datastore').inputValue()).toBe('samples/iris/data/iris-part-1.csv');
    expect(await page.getByRole('radio', { name: 'File (uri_file)' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Add literal input' }).click();
    await page.getByLabel('Literal 1 name').fill('threshold');
    await page.getByLabel('Literal 1 value').fill('0.5');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    await expect.poll(status, { timeout: 40_000 }).toBe('Completed');
    const endpoint = await app.api('GET', 'batchEndpoints/flowers');
    expect(endpoint.body.properties.defaults.deploymentName).toBe('script');
    const jobId = (await page.getByRole('heading', { name: /^Job / }).textContent())!.replace(/^Job /, '');
    const job = await app.job('flowers', jobId);
    expect(job.properties.deploymentName).toBe('script');
    expect(job.properties.inputData).toMatchObject({ threshold: { jobInputType: 'Literal', value: '0.5' } });
    await page.getByRole('link', { name: 'Back to the runs of flowers' }).click();
    await page.getByRole('table', { name: 'Jobs' }).waitFor();
    expect(await page.getByRole('table', { name: 'Jobs' }).getByRole('row').count()).toBe(3);
    await expectAccessible('runs');
  });

  it('creates a job over the latest version of a registered data asset', async () => {
    await page.goto(studio('endpoints/flowers/jobs/new'));
    await page.getByLabel('Deployment', { exact: true }).selectOption('nocode');
    await page.getByRole('radio', { name: 'Registered data asset' }).check();
    await page.getByLabel('Data asset', { exact: true }).selectOption('iris-data');
    expect(await page.getByLabel('Version', { exact: true }).inputValue()).toBe('latest');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    await expect.poll(async () => (FINAL_STATUSES.has((await status()) ?? '') ? status() : undefined), { timeout: 40_000 }).toBe('Completed');
    const jobId = (await page.getByRole('heading', { name: /^Job / }).textContent())!.replace(/^Job /, '');
    const job = await app.job('flowers', jobId);
    expect(Object.values(job.properties.inputData)[0]).toMatchObject({ uri: 'azureml:iris-data@latest' });
    expect(job.properties.progress.itemsSucceeded).toBeGreaterThan(0);
  });

  it("shows a failing job's error and its files' errors", async () => {
    await page.goto(studio('endpoints/flowers/jobs/new'));
    await page.getByLabel('Deployment', { exact: true }).selectOption('nocode');
    await page.getByRole('switch', { name: 'Override deployment settings' }).check();
    await page.getByLabel('Error threshold').fill('0');
    await page.getByLabel('Max retries').fill('0');
    await page.getByLabel('Path in the datastore').fill('inputs/bad/');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    await expect.poll(status, { timeout: 40_000 }).toBe('Failed');
    await page.getByText('Job failed: ErrorThresholdExceeded').waitFor();
    const errors = page.getByRole('table', { name: 'Errors' });
    await errors.waitFor();
    expect(await errors.textContent()).toContain('bad.csv');
    await expectAccessible('job-failed');
  });

  it('shows a running job move and cancels it', async () => {
    // A scoring script that takes its time: six one-file mini-batches, one at a time.
    await app.uploadText('slow/code/score.js', 'module.exports = { init() {}, async run(files) { await new Promise((r) => setTimeout(r, 1200)); return files.map((f) => f.length); } };\n');
    await Promise.all(Array.from({ length: 6 }, (_, i) => app.uploadText(`inputs/slow/f${i}.txt`, 'x')));
    expect((await app.api('PUT', 'codes/slow/versions/1', { properties: { codeUri: `${ds}/slow/code` } })).status).toBe(201);
    expect((await app.api('PUT', 'batchEndpoints/slowpoke', { properties: {} })).status).toBe(201);
    const deployment = { properties: { model: 'azureml:iris:1', codeConfiguration: { codeId: 'azureml:slow:1', scoringScript: 'score.js' }, miniBatchSize: 1 } };
    expect((await app.api('PUT', 'batchEndpoints/slowpoke/deployments/slow', deployment)).status).toBe(201);
    expect((await app.api('PATCH', 'batchEndpoints/slowpoke', { properties: { defaults: { deploymentName: 'slow' } } })).status).toBe(200);

    await page.goto(studio('endpoints/slowpoke/jobs/new'));
    await page.getByLabel('Path in the datastore').fill('inputs/slow/');
    await page.getByRole('button', { name: 'Create job' }).click();
    await page.getByRole('heading', { name: /^Job batchjob-/ }).waitFor();
    // The bar moves while the job runs: a value strictly between 0 and 1 shows up without a reload.
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(1);
    expect(await status()).toBe('Running');
    await screenshot(page, 'job-running');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(status, { timeout: 30_000 }).toBe('Canceled');
    expect(await page.getByRole('button', { name: 'Cancel job' }).count()).toBe(0);
  });

  it('makes the no-code deployment the default again and deletes the scripted one', async () => {
    await page.goto(studio('endpoints/flowers'));
    await page.getByRole('button', { name: 'Make nocode the default' }).click();
    await expect.poll(() => page.getByTestId('default-deployment').textContent()).toBe('nocode');
    await page.getByRole('button', { name: 'Delete deployment script' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete deployment' }).click();
    await expect.poll(() => page.locator('[data-deployment="script"]').count()).toBe(0);
    expect((await app.api('GET', 'batchEndpoints/flowers/deployments/script')).status).toBe(404);
  });

  it("creates an endpoint from a model's page, and lists models, data assets and datastores", async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('table', { name: 'Models' }).waitFor();
    await expectAccessible('models');
    await page.getByRole('link', { name: 'iris' }).click();
    await page.getByRole('heading', { name: 'Model iris' }).waitFor();
    await expectAccessible('model');
    await page.getByRole('button', { name: 'Deploy to batch endpoint' }).click();
    // An existing endpoint's name is refused before anything is replaced.
    await page.getByLabel('Endpoint name').fill('flowers');
    await page.getByRole('button', { name: 'Next' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('An endpoint named flowers exists already');
    await wizard({ endpoint: 'petals', deployment: 'first' });
    await page.getByRole('heading', { name: 'Endpoint petals' }).waitFor();
    await expect.poll(() => page.getByTestId('default-deployment').textContent()).toBe('first');

    await page.getByRole('link', { name: 'Data assets' }).click();
    await page.getByRole('link', { name: 'iris-data' }).waitFor();
    await expectAccessible('data-assets');
    await page.getByRole('link', { name: 'iris-data' }).click();
    await page.getByRole('cell', { name: `${ds}/samples/iris/data/` }).waitFor();
    await expectAccessible('data-asset');
    await page.getByRole('link', { name: 'Datastores' }).click();
    await page.getByRole('link', { name: 'workspaceblobstore' }).waitFor();
    await expectAccessible('datastores');
    await page.getByRole('link', { name: 'workspaceblobstore' }).click();
    await page.getByRole('button', { name: 'Open folder samples/' }).click();
    await page.getByRole('button', { name: 'Open folder iris/' }).waitFor();
    await expectAccessible('datastore');
  });

  it('shows the Endpoints list with default deployments and last jobs, and deletes an endpoint after saying what goes with it', async () => {
    await page.getByRole('link', { name: 'Endpoints' }).click();
    const row = page.locator('[data-endpoint="flowers"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('nocode');
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('Failed');
    await expectAccessible('endpoints');
    await page.getByRole('button', { name: 'Delete endpoint petals' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain('(first) will be deleted with it');
    await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
    await expect.poll(() => page.locator('[data-endpoint="petals"]').count()).toBe(0);
    expect((await app.api('GET', 'batchEndpoints/petals')).status).toBe(404);
  });

  it('as a Read user, shows no create, add, delete or cancel actions', async () => {
    await page.getByLabel('View as').selectOption('Read');
    await expect.poll(() => page.getByRole('button', { name: 'Create' }).count()).toBe(0);
    // The list is there (and visible to assistive technology), only without actions.
    await page.getByRole('link', { name: 'flowers' }).waitFor();
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    await page.getByRole('link', { name: 'flowers' }).click();
    await page.getByRole('heading', { name: 'Endpoint flowers' }).waitFor();
    for (const name of ['Create job', 'Add deployment', 'Delete endpoint flowers', 'Make nocode the default']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await expectAccessible('endpoint-read-only');
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: 'iris' }).click();
    await page.getByRole('heading', { name: 'Model iris' }).waitFor();
    expect(await page.getByRole('button', { name: 'Deploy to batch endpoint' }).count()).toBe(0);
    expect(b.pageErrors).toEqual([]);
  });
});
