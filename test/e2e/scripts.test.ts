import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppStack, startApp, folderInput } from '../support/appHost';
import { repoRoot } from '../support/devhost';

// Scripted (custom_model) deployments through the real app: devhost + Azurite + local issuer.
// Fixture scripts: test/fixtures/scripts/e2e (see its README).

const scripts = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
const model = join(scripts, 'model'); // weights.json: { scale: 10 }
const NUMBERS = Array.from({ length: 7 }, (_, i) => `n0${i}.txt`); // content: i
const HANG_FILES = ['a.txt', 'b-hang.txt', 'c.txt'];
const HANG_TIMEOUT_S = 1;
const HANG_RETRIES = 2;

let app: AppStack;

const literal = (value: string) => ({ JobInputType: 'Literal', Value: value });
/** An invoke body over a workspace folder with literal inputs. */
const withParams = (path: string, params: Record<string, string>, settings: Record<string, unknown> = {}) => {
  const { InputData } = folderInput(path);
  return { InputData: { ...InputData, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, literal(v)])) }, ...settings };
};
const lines = (text: string | undefined) => (text ?? '').split('\n').filter((l) => l !== '');
const stateDir = () => mkdtempSync(join(tmpdir(), 'e2e-state-'));
const attemptsIn = (dir: string, file: string) => readdirSync(dir).filter((n) => n.startsWith(`${file}.attempt-`)).sort();

async function runJob(endpoint: string, body: Record<string, unknown>): Promise<{ jobId: string; job: any }> {
  const invoke = await app.invoke(endpoint, body);
  expect(invoke.status, JSON.stringify(invoke.body)).toBe(202);
  // A script reads literal inputs: none is reported as ignored.
  expect(invoke.body.warnings).toBeUndefined();
  const jobId: string = invoke.body.name;
  return { jobId, job: await app.waitForJob(endpoint, jobId) };
}
const defaultOutput = (jobId: string) => `azureml/${jobId}/score/predictions.csv`;
const seconds = (job: any) => (Date.parse(job.properties.endTime) - Date.parse(job.properties.startTime)) / 1000;

/**
 * Each attempt at mini-batch `index`, from the job's first chunk orchestration's history: when it
 * was scheduled (before its activity, so before the scorer's clock started) and when its failure
 * was recorded (after the scorer gave up). Order and recorded times, not a duration on a busy machine.
 */
async function attemptsOf(jobId: string, index: number): Promise<{ scheduledAt: number; failedAt?: number }[]> {
  const history = (await app.orchestration(`${jobId}-chunk-0`))!.historyEvents;
  const attempts = new Map<number, { scheduledAt: number; failedAt?: number }>();
  for (const e of history) {
    if (e.EventType === 'TaskScheduled' && e.Name === 'batchJob_scoreMiniBatch' && JSON.parse(e.Input).index === index) attempts.set(e.EventId, { scheduledAt: Date.parse(e.Timestamp) });
    if (e.EventType === 'TaskFailed' && attempts.has(e.TaskScheduledId)) attempts.get(e.TaskScheduledId)!.failedAt = Date.parse(e.Timestamp);
  }
  return [...attempts.values()];
}

/**
 * A hanging mini-batch's attempts each failed, and each only after its full timeout had run (the
 * scorer's clock starts after the attempt was scheduled and the failure is recorded after it
 * gives up), one after the other.
 */
async function expectEachAttemptTimedOut(jobId: string, index: number): Promise<void> {
  const attempts = await attemptsOf(jobId, index);
  expect(attempts).toHaveLength(HANG_RETRIES + 1);
  for (const [i, a] of attempts.entries()) {
    expect(a.failedAt, `attempt ${i + 1}`).toBeDefined();
    expect(a.failedAt! - a.scheduledAt, `attempt ${i + 1}`).toBeGreaterThanOrEqual(HANG_TIMEOUT_S * 1000);
    if (i > 0) expect(a.scheduledAt).toBeGreaterThanOrEqual(attempts[i - 1]!.failedAt!);
  }
}

beforeAll(async () => {
  app = await startApp();
  for (const [i, name] of NUMBERS.entries()) await app.uploadText(`inputs/numbers/${name}`, `${i}\n`);
  for (const name of HANG_FILES) await app.uploadText(`inputs/hang/${name}`, 'x\n');
  const deploy = (endpoint: string, code: string, settings: Record<string, unknown>, scoringScript?: string) =>
    app.deploy({ endpoint, deployment: 'script', modelFolder: model, modelType: 'custom_model', codeFolder: join(scripts, code), scoringScript, settings });
  await deploy('echo', 'echo', { miniBatchSize: 2, maxConcurrencyPerInstance: 2, environmentVariables: { GREETING: 'hello, world' } });
  await deploy('flaky', 'flaky', { miniBatchSize: 2, maxConcurrencyPerInstance: 2, retrySettings: { maxRetries: 2, timeout: 'PT30S' } });
  await deploy('hang', 'hang', { miniBatchSize: 1, maxConcurrencyPerInstance: 2, retrySettings: { maxRetries: HANG_RETRIES, timeout: `PT${HANG_TIMEOUT_S}S` } });
  await deploy('returns', 'returns', { miniBatchSize: 3, maxConcurrencyPerInstance: 2 });
  await deploy('missing', 'echo', { miniBatchSize: 2, retrySettings: { maxRetries: 1, timeout: 'PT30S' } }, 'nope.js');
  await deploy('summary', 'echo', { miniBatchSize: 2, maxConcurrencyPerInstance: 2, outputAction: 'SummaryOnly' });
});
afterAll(async () => {
  await app?.stop();
});

describe('scoring scripts end to end', () => {
  it('writes run() results in mini-batch order, with literal inputs as context.params, the deployment environment and the model from init()', async () => {
    // Mini-batch 0 sleeps, so mini-batches 1..3 finish first: the output must still be in input order.
    const { jobId, job } = await runJob('echo', withParams('inputs/numbers', { threshold: '0.7', first_delay_ms: '600' }));
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 4, miniBatchesSucceeded: 4, miniBatchesFailed: 0, itemsTotal: 7, itemsSucceeded: 7, itemsFailed: 0 });
    expect(job.properties.inputData.threshold).toEqual({ jobInputType: 'Literal', value: '0.7' });
    // [file, value * scale (from the model folder), params.threshold, env GREETING (CSV-quoted), mini-batch index, AZUREML_MODEL_DIR === context.modelDir]
    const expected = NUMBERS.map((name, i) => `${name},${i * 10},0.7,"hello, world",${Math.floor(i / 2)},true`);
    const output = await app.readWorkspaceBlob(defaultOutput(jobId));
    expect(output?.endsWith('\n')).toBe(true);
    expect(lines(output)).toEqual(expected);
    expect(await app.jobErrors('echo', jobId)).toEqual([]);
  });

  it('completes a flaky script on retry with every row exactly once; GET .../errors lists nothing (a mini-batch that succeeded on retry is not an error)', async () => {
    const dir = stateDir();
    const { jobId, job } = await runJob('flaky', withParams('inputs/numbers', { state_dir: dir }));
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesSucceeded: 4, miniBatchesFailed: 0, itemsSucceeded: 7, itemsFailed: 0 });
    // Every row once, in input order, each from the second attempt of its mini-batch.
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(NUMBERS.map((n, i) => `${n},${i},2`));
    // Exactly two attempts per mini-batch (keyed by its first file): one failure, one success.
    for (const first of ['n00.txt', 'n02.txt', 'n04.txt', 'n06.txt']) {
      expect(attemptsIn(dir, first)).toEqual([`${first}.attempt-1`, `${first}.attempt-2`]);
    }
    expect(await app.jobErrors('flaky', jobId)).toEqual([]);
    expect(await app.readWorkspaceBlob(`azureml/${jobId}/logs/user/error.txt`)).toBe('No errors.\n');
  });

  it('stops a script that hangs on its first attempt with the timeout, retries it and completes', async () => {
    const dir = stateDir();
    const { jobId, job } = await runJob('hang', withParams('inputs/hang', { hang: 'once', state_dir: dir }));
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 });
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(['a.txt,1', 'b-hang.txt,2', 'c.txt,1']);
    expect(attemptsIn(dir, 'b-hang.txt')).toHaveLength(2);
    expect(await app.jobErrors('hang', jobId)).toEqual([]);
  });

  it(`fails an always-hanging mini-batch with Timeout after maxRetries+1 attempts of ${HANG_TIMEOUT_S} s; errorThreshold -1 → Completed with the item failed`, async () => {
    const dir = stateDir();
    const { jobId, job } = await runJob('hang', withParams('inputs/hang', { hang: 'always', state_dir: dir }, { errorThreshold: -1 }));
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesSucceeded: 2, miniBatchesFailed: 1, itemsSucceeded: 2, itemsFailed: 1 });
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(['a.txt,1', 'c.txt,1']);
    expect(attemptsIn(dir, 'b-hang.txt')).toHaveLength(HANG_RETRIES + 1);

    const errors = await app.jobErrors('hang', jobId);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ miniBatchIndex: 1, status: 'Failed', files: ['b-hang.txt'], attempts: HANG_RETRIES + 1, failedItems: 1 });
    expect(errors[0].error.code).toBe('Timeout');
    expect(errors[0].error.message).toContain(`timed out after ${HANG_TIMEOUT_S} s`);

    // Each attempt was given its full timeout and stopped by it (error code Timeout above, from the
    // scorer's timer), one after the other: the job took at least (maxRetries+1) x timeout.
    await expectEachAttemptTimedOut(jobId, 1);
    expect(seconds(job)).toBeGreaterThanOrEqual((HANG_RETRIES + 1) * HANG_TIMEOUT_S);
  });

  it('fails the job with ErrorThresholdExceeded and no output when an always-hanging mini-batch passes errorThreshold 0', async () => {
    const dir = stateDir();
    const { jobId, job } = await runJob('hang', withParams('inputs/hang', { hang: 'always', state_dir: dir }, { errorThreshold: 0 }));
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('ErrorThresholdExceeded');
    expect(job.properties.progress.itemsFailed).toBe(1);
    expect(await app.readWorkspaceBlob(defaultOutput(jobId))).toBeUndefined();
    const errors = await app.jobErrors('hang', jobId);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ files: ['b-hang.txt'], attempts: HANG_RETRIES + 1 });
    expect(errors[0].error.code).toBe('Timeout');
    await expectEachAttemptTimedOut(jobId, 1);
  });

  it('counts the missing elements as failed items when run() returns fewer elements than files', async () => {
    // 7 files in mini-batches of 3: [n00 n01 n02] [n03 n04 n05] [n06]; each loses its first file.
    const { jobId, job } = await runJob('returns', withParams('inputs/numbers', { returns: 'fewer' }));
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 4, itemsFailed: 3 });
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(['n01.txt', 'n02.txt', 'n04.txt', 'n05.txt']);
    const errors = await app.jobErrors('returns', jobId);
    expect(errors.map((e) => [e.miniBatchIndex, e.status, e.failedItems])).toEqual([
      [0, 'Succeeded', 1],
      [1, 'Succeeded', 1],
      [2, 'Succeeded', 1],
    ]);
    expect(errors[0].itemErrors[0].message).toContain('run() returned 2 element(s) for 3 file(s)');
    expect(errors[2].itemErrors[0].message).toContain('no succeeded mini-batch item returned from run()');
  });

  it("says 'run() must return an array...' in GET .../errors when run() returns a non-array", async () => {
    const { jobId, job } = await runJob('returns', withParams('inputs/numbers', { returns: 'object' }, { miniBatchSize: 7, errorThreshold: 0, retrySettings: { maxRetries: 0 } }));
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('ErrorThresholdExceeded');
    const errors = await app.jobErrors('returns', jobId);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ status: 'Failed', attempts: 1, failedItems: 7 });
    expect(errors[0].error.code).toBe('WrongReturnType');
    expect(errors[0].error.message).toMatch(/^run\(\) must return an array with one element per successfully processed item; it returned an object \(keys: results\)/);
  });

  it('fails a job whose scoring script does not exist at its first mini-batch, without retries, naming the files in the code folder', async () => {
    const { jobId, job } = await runJob('missing', folderInput('inputs/numbers'));
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('ScriptNotFound');
    // Only the registered code: no cache bookkeeping of the app shows up in the user's folder.
    expect(job.properties.error.message).toBe("scoring script 'nope.js' not found in the code folder (files in the code folder: score.js)");
    // No retry helps a missing script: each mini-batch that ran failed once, and scheduling stopped.
    const errors = await app.jobErrors('missing', jobId);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThan(4);
    for (const e of errors) expect(e).toMatchObject({ status: 'Failed', attempts: 1, error: { code: 'ScriptNotFound' } });
    expect(await app.readWorkspaceBlob(defaultOutput(jobId))).toBeUndefined();
  });

  it('SummaryOnly: records the counts and writes no output file', async () => {
    const { jobId, job } = await runJob('summary', withParams('inputs/numbers', { threshold: '1' }));
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.outputAction).toBe('SummaryOnly');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 4, miniBatchesSucceeded: 4, itemsTotal: 7, itemsSucceeded: 7, itemsFailed: 0 });
    expect(await app.readWorkspaceBlob(defaultOutput(jobId))).toBeUndefined();
    // Only the job's logs are written next to it; no blob was staged or committed for the output.
    const blobs = await app.listWorkspaceBlobs(`azureml/${jobId}/`);
    expect(blobs.every((b) => b.startsWith(`azureml/${jobId}/logs/`))).toBe(true);
    const uncommitted = await app.workspace().getBlockBlobClient(defaultOutput(jobId)).getBlockList('all').catch((err: { statusCode?: number }) => err.statusCode);
    expect(uncommitted).toBe(404);
  });
});
