import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import * as ort from 'onnxruntime-node';
import { AppStack, startApp, folderInput, samplesDir } from '../support/appHost';
import { repoRoot } from '../support/devhost';

// The app on three devhost processes sharing one task hub (as Azure runs it on several
// instances), with the runtime's failure modes on: activities delivered twice, completions
// reordered, hosts SIGKILLed mid-job. Each test prints its chaos figures ("[chaos] ...").

const scripts = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const literal = (value: string) => ({ JobInputType: 'Literal', Value: value });
const withParams = (path: string, params: Record<string, string>, settings: Record<string, unknown> = {}) => {
  const { InputData } = folderInput(path);
  return { InputData: { ...InputData, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, literal(v)])) }, ...settings };
};
const lines = (text: string | undefined) => (text ?? '').split('\n').filter((l) => l !== '');
const defaultOutput = (jobId: string) => `azureml/${jobId}/score/predictions.csv`;
const pad = (i: number) => String(i).padStart(4, '0');
/** The echo script's line for number file `n<i>.txt` (scale 10, GREETING "hi"): see test/fixtures/scripts/e2e/echo. */
const echoLine = (i: number, miniBatchSize: number) => `n${pad(i)}.txt,${i * 10},0.5,hi,${Math.floor(i / miniBatchSize)},true`;

async function invokeOk(app: AppStack, endpoint: string, body: Record<string, unknown>): Promise<string> {
  const invoke = await app.invoke(endpoint, body);
  expect(invoke.status, JSON.stringify(invoke.body)).toBe(202);
  return invoke.body.name;
}

/** Every mini-batch of a job (GET .../miniBatches, all pages). */
async function miniBatchesOf(app: AppStack, endpoint: string, jobId: string): Promise<any[]> {
  const all: any[] = [];
  let from = 0;
  for (;;) {
    const page = await app.apiOk('GET', `batchEndpoints/${endpoint}/jobs/${jobId}/miniBatches?from=${from}&$top=5000`);
    all.push(...page.body.value);
    if (!page.body.nextLink) return all;
    from = Number(new URL(page.body.nextLink).searchParams.get('from'));
  }
}

/** What the echo script ran, one per execution (its runs_log): the mini-batch and the host's pid. */
const runsIn = (log: string) =>
  (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []).map((l) => {
    const [index, pid] = l.split(' ').map(Number);
    return { index: index!, pid: pid! };
  });

async function deployEcho(app: AppStack, endpoint: string, settings: Record<string, unknown>): Promise<void> {
  await app.deploy({ endpoint, deployment: 'script', modelFolder: join(scripts, 'model'), modelType: 'custom_model', codeFolder: join(scripts, 'echo'), settings: { environmentVariables: { GREETING: 'hi' }, ...settings } });
}

describe('three hosts, 30% of activities delivered twice, completions reordered', () => {
  let app: AppStack;
  const IRIS_FILES = 36; // 18 mini-batches of 2
  const NUMBER_FILES = 60; // 30 mini-batches of 2
  const irisName = (i: number) => `f${pad(i)}-part-${(i % 3) + 1}.csv`;

  beforeAll(async () => {
    app = await startApp({ DEVHOST_FAULT_DUPLICATE_ACTIVITY: '0.3', DEVHOST_FAULT_REORDER: 'true' }, { hosts: 3 });
    await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model'), settings: { miniBatchSize: 2, maxConcurrencyPerInstance: 4 } });
    await deployEcho(app, 'echo', { miniBatchSize: 2, maxConcurrencyPerInstance: 4, retrySettings: { maxRetries: 2, timeout: 'PT30S' } });
    const parts = [1, 2, 3].map((p) => readFileSync(join(samplesDir, 'data', `iris-part-${p}.csv`)));
    await app.uploadMany(Array.from({ length: IRIS_FILES }, (_, i) => ({ name: `inputs/iris/${irisName(i)}`, data: parts[i % 3]! })));
    await app.uploadMany(Array.from({ length: NUMBER_FILES }, (_, i) => ({ name: `inputs/numbers/n${pad(i)}.txt`, data: `${i}\n` })));
  });
  afterAll(async () => {
    // The figures the lead quotes: duplicates each host injected over the whole file.
    if (app) {
      const injected = await Promise.all(app.hosts.map((h) => fetch(`${h.url}/admin/host/status`).then((r) => r.json() as Promise<any>, () => ({}))));
      const duplicates = injected.reduce((sum, s) => sum + (s.faultsInjected?.duplicateActivities ?? 0), 0);
      console.log(`[chaos] 3 hosts, 30% duplicate delivery + reordering: ${duplicates} duplicate activity executions injected (per host: ${injected.map((s) => s.faultsInjected?.duplicateActivities ?? 0).join(', ')})`);
    }
    await app?.stop();
  });

  it('no-code ONNX: every row once and in order, totals right, every mini-batch one attempt', async () => {
    const jobId = await invokeOk(app, 'iris', folderInput('inputs/iris'));
    const job = await app.waitForJob('iris', jobId);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 18, miniBatchesSucceeded: 18, miniBatchesFailed: 0, itemsTotal: IRIS_FILES, itemsSucceeded: IRIS_FILES, itemsFailed: 0 });
    // What ONNX Runtime predicts for each part, computed here without the product's readers.
    const session = await ort.InferenceSession.create(join(samplesDir, 'model', 'model.onnx'));
    const labels: string[][] = [];
    for (const p of [1, 2, 3]) {
      const rows = (parse(readFileSync(join(samplesDir, 'data', `iris-part-${p}.csv`), 'utf8'), { columns: true }) as Record<string, string>[]).map((r) => FEATURES.map((f) => Number(r[f])));
      const { label } = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]) });
      labels.push(Array.from(label.data as ArrayLike<unknown>, String));
    }
    const expected = Array.from({ length: IRIS_FILES }, (_, i) => labels[i % 3]!.map((label, row) => `${row},${label},${irisName(i)}`)).flat();
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(expected);
    const miniBatches = await miniBatchesOf(app, 'iris', jobId);
    expect(miniBatches.map((m) => [m.index, m.status, m.attempts])).toEqual(Array.from({ length: 18 }, (_, i) => [i, 'Succeeded', 1]));
    expect(await app.jobErrors('iris', jobId)).toEqual([]);
    console.log(`[chaos] no-code job on 3 hosts: ${expected.length} rows checked, 18 mini-batches, attempts all 1`);
  });

  it('scripted: every row once and in order, the failing mini-batch with maxRetries + 1 attempts in /errors, the others one', async () => {
    const runs = join(mkdtempSync(join(tmpdir(), 'scale-runs-')), 'runs.log');
    // Mini-batch 6 (n0012, n0013) fails every attempt; errorThreshold -1 lets the job complete.
    const jobId = await invokeOk(app, 'echo', withParams('inputs/numbers', { threshold: '0.5', fail_file: 'n0013.txt', runs_log: runs }));
    const job = await app.waitForJob('echo', jobId);
    expect(job.properties.status).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 30, miniBatchesSucceeded: 29, miniBatchesFailed: 1, itemsTotal: NUMBER_FILES, itemsSucceeded: NUMBER_FILES - 2, itemsFailed: 2 });
    const expected = Array.from({ length: NUMBER_FILES }, (_, i) => i).filter((i) => i !== 12 && i !== 13).map((i) => echoLine(i, 2));
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(expected);
    const errors = await app.jobErrors('echo', jobId);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ attempts: 3 });
    expect(JSON.stringify(errors[0])).toContain('told to fail on n0013.txt');
    const miniBatches = await miniBatchesOf(app, 'echo', jobId);
    expect(miniBatches.map((m) => [m.index, m.status, m.attempts])).toEqual(Array.from({ length: 30 }, (_, i) => (i === 6 ? [6, 'Failed', 3] : [i, 'Succeeded', 1])));
    const executions = runsIn(runs);
    console.log(`[chaos] scripted job on 3 hosts: ${expected.length} rows checked, ${executions.length} run() calls for 30 mini-batches + 2 retries (${executions.length - 32} duplicates)`);
  });

  it('one job per invoke: a retried invoke sent to all three hosts at once starts one job', async () => {
    const headers = { 'x-ms-client-request-id': `scale-${Date.now()}` };
    const body = withParams('inputs/numbers', { threshold: '0.5' });
    const before = (await app.apiOk('GET', 'batchEndpoints/echo/jobs?$top=100')).body.value.length;
    const answers = await Promise.all(app.hosts.map((_, i) => app.clientOf(i).invoke('echo', body, headers)));
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.name));
    expect(ids.size).toBe(1);
    const [jobId] = [...ids] as string[];
    const job = await app.waitForJob('echo', jobId!);
    expect(job.properties.status).toBe('Completed');
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId!)))).toEqual(Array.from({ length: NUMBER_FILES }, (_, i) => echoLine(i, 2)));
    const after = (await app.apiOk('GET', 'batchEndpoints/echo/jobs?$top=100')).body.value;
    expect(after.length).toBe(before + 1);
    console.log(`[chaos] retried invoke on 3 hosts: 1 job, ${NUMBER_FILES} rows checked`);
  });
});

describe('hosts SIGKILLed during a 2,000-file job', () => {
  let app: AppStack;
  const FILES = 2000;
  const MINI_BATCH_SIZE = 8; // 250 mini-batches
  const expected = Array.from({ length: FILES }, (_, i) => echoLine(i, MINI_BATCH_SIZE));
  // Each run() takes 100 ms, so a killed host has scoring in flight (about 2 s more per job).
  const PARAMS = { threshold: '0.5', each_delay_ms: '100' };

  beforeAll(async () => {
    app = await startApp({}, { hosts: 3 });
    await deployEcho(app, 'echo', { miniBatchSize: MINI_BATCH_SIZE, resources: { instanceCount: 3 }, maxConcurrencyPerInstance: 4 });
    await app.uploadMany(Array.from({ length: FILES }, (_, i) => ({ name: `inputs/many/n${pad(i)}.txt`, data: `${i}\n` })));
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** Waits until the job has finished `share` of its mini-batches (or ended). */
  async function progressed(jobId: string, share: number): Promise<number> {
    for (;;) {
      const job = await app.job('echo', jobId);
      const p = job.properties.progress ?? {};
      const done = (p.miniBatchesSucceeded ?? 0) + (p.miniBatchesFailed ?? 0);
      if (p.miniBatchesTotal && done >= share * p.miniBatchesTotal) return done;
      if (['Completed', 'Failed', 'Canceled'].includes(job.properties.status)) return done;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function checkExactlyOnce(jobId: string, runs: string): Promise<number> {
    const job = await app.waitForJob('echo', jobId, 90_000);
    expect(job.properties.status, JSON.stringify(job.properties.error)).toBe('Completed');
    expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 250, miniBatchesSucceeded: 250, itemsSucceeded: FILES, itemsFailed: 0 });
    expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(expected);
    // Work redone after a kill is the same attempt (its row was Running), not a retry.
    const miniBatches = await miniBatchesOf(app, 'echo', jobId);
    expect(miniBatches.filter((m) => m.status !== 'Succeeded' || m.attempts !== 1)).toEqual([]);
    expect(miniBatches).toHaveLength(250);
    return runsIn(runs).length;
  }

  it('kills one of three hosts at a random point, three times: each job completes on the others, every row once', async () => {
    const figures: string[] = [];
    for (let round = 1; round <= 3; round++) {
      const runs = join(mkdtempSync(join(tmpdir(), 'scale-kill-')), 'runs.log');
      const jobId = await invokeOk(app, 'echo', withParams('inputs/many', { ...PARAMS, runs_log: runs }));
      const doneAtKill = await progressed(jobId, 0.05 + Math.random() * 0.6);
      // A random host among those scoring right now (hosts that happen to be idle would show nothing).
      const busy = new Set(runsIn(runs).slice(-12).map((r) => r.pid));
      const candidates = [0, 1, 2].filter((i) => busy.has(app.hosts[i]!.child.pid!));
      const victim = candidates.length ? candidates[Math.floor(Math.random() * candidates.length)]! : Math.floor(Math.random() * 3);
      await app.killHost(victim);
      const executions = await checkExactlyOnce(jobId, runs);
      figures.push(`round ${round}: host ${victim} killed after ${doneAtKill}/250 mini-batches, ${FILES} rows checked, ${executions} run() calls (${executions - 250} redone)`);
      await app.startHost(victim);
    }
    console.log(`[chaos] SIGKILL one of 3 hosts, 3 runs of ${FILES} files:\n  ${figures.join('\n  ')}`);
  });

  it('kills all three hosts mid-job and restarts them: the job completes exactly once', async () => {
    const runs = join(mkdtempSync(join(tmpdir(), 'scale-killall-')), 'runs.log');
    const before = (await app.apiOk('GET', 'batchEndpoints/echo/jobs?$top=100')).body.value.length;
    const jobId = await invokeOk(app, 'echo', withParams('inputs/many', { ...PARAMS, runs_log: runs }));
    const doneAtKill = await progressed(jobId, 0.1 + Math.random() * 0.5);
    await Promise.all([0, 1, 2].map((i) => app.killHost(i)));
    await Promise.all([0, 1, 2].map((i) => app.startHost(i)));
    const executions = await checkExactlyOnce(jobId, runs);
    expect((await app.apiOk('GET', 'batchEndpoints/echo/jobs?$top=100')).body.value.length).toBe(before + 1);
    console.log(`[chaos] SIGKILL all 3 hosts after ${doneAtKill}/250 mini-batches, restarted: ${FILES} rows checked, ${executions} run() calls (${executions - 250} redone)`);
  });
});
