/**
 * End-to-end scoring benchmark: 1,000,000 rows in 200 CSV files scored by a no-code ONNX
 * deployment through the whole pipeline (invoke -> orchestration -> mini-batch activities ->
 * worker pool -> output blob) in devhost on Azurite, against yardsticks measured in the same round:
 * - the raw scorer on all cores (a worker thread per core over disjoint file sets: the machine's
 *   limit), and in one thread (bench/rawScorer.ts, a process of its own, a cold and a warm pass);
 * - CPU per row: the app's (the host process and its scoring worker threads, from /proc; Azurite,
 *   a process of its own, counted apart) against the raw scorer's (one thread, warm pass).
 * A first job runs right after the stack started and the deployment was created (the host warmed
 * its scoring workers after the PUT, before any job: lib/jobs/deploymentWarmer.ts; the host's own
 * code paths are still cold); a second one finds everything warm (a running service).
 * Models: the Iris regression (headline) and a generated MLP (samples/mlp, ~266k weights) where
 * scoring dominates. Medians over ROUNDS rounds, each in a fresh Azurite and host.
 * Run: npm run bench:scoring   (FILES, ROWS_PER_FILE, ROUNDS, MODELS=iris,mlp override the defaults;
 * BENCH_JSON=<file> writes the figures)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { execFileSync } from 'node:child_process';
import { MiniBatchStore } from '../lib/jobs/miniBatchStore';
import { AppStack, repoRoot } from '../scripts/support/appStack';
import { writeBenchJson } from './benchJson';
import { cpuSecondsByThread, cpuSecondsOf, peakRssMiBOf, waitUntilIdle } from './procStats';

const FILES = Number(process.env.FILES ?? 200);
const ROWS_PER_FILE = Number(process.env.ROWS_PER_FILE ?? 5000);
/**
 * Mini-batches in flight. Two scoring workers (one per core) do the work; a few more mini-batches
 * in flight than workers keep them busy while others download inputs and upload results.
 */
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
/** Files per mini-batch (Azure ML's default is 10). */
const MINI_BATCH_SIZE = Number(process.env.MINI_BATCH_SIZE ?? 10);
/** This machine's speed varies from minute to minute: medians of a few rounds say more than one run. */
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MODELS = (process.env.MODELS ?? 'iris,mlp').split(',').filter(Boolean);
const CORES = availableParallelism();
const MODEL_DIRS: Record<string, string> = { iris: join(repoRoot, 'samples', 'iris', 'model'), mlp: join(repoRoot, 'samples', 'mlp', 'model') };

/** Deterministic iris-like rows (a small LCG: the same files every run). */
function csvFile(seed: number): string {
  let state = seed * 2654435761 % 2 ** 32;
  const next = () => (state = (state * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32;
  const lines = ['sepal_length,sepal_width,petal_length,petal_width'];
  for (let i = 0; i < ROWS_PER_FILE; i++) {
    lines.push([4.3 + next() * 3.6, 2 + next() * 2.4, 1 + next() * 5.9, 0.1 + next() * 2.4].map((v) => v.toFixed(1)).join(','));
  }
  return `${lines.join('\n')}\n`;
}

interface RawRun {
  firstSeconds: number;
  secondSeconds: number;
  firstCpuSeconds: number;
  secondCpuSeconds: number;
  /** With storage: the emulator's CPU during the second pass. */
  storageSecondCpuSeconds?: number;
}

/** The raw scorer in a fresh process (bench/rawScorer.ts), in `threads` threads; `env` adds RAW_STORAGE and the like. */
function rawScorer(dir: string, modelDir: string, threads: number, env: Record<string, string> = {}): RawRun {
  const out = execFileSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'rawScorer.js'), dir, modelDir, String(threads)], { encoding: 'utf8', env: { ...process.env, ...env } });
  const run = JSON.parse(out) as RawRun & { rows: number };
  if (run.rows !== FILES * ROWS_PER_FILE) throw new Error(`raw scorer produced ${run.rows} rows`);
  return run;
}

/** Per mini-batch: duration, finish time and where the time went (BENCH_DEBUG=1). */
async function printTimeline(stack: AppStack, job: { name: string; properties: Record<string, string> }): Promise<void> {
  const store = new MiniBatchStore(TableClient.fromConnectionString(stack.azurite.connectionString, 'minibatches', { allowInsecureConnection: true }));
  for await (const mb of store.list(job.name)) {
    console.log(`  mini-batch ${mb.index}: ${mb.durationMs} ms, done ${mb.updatedAt} ${JSON.stringify(mb.timings ?? {})}`);
  }
  console.log(`  job ${job.properties.creationTime} -> ${job.properties.startTime} -> ${job.properties.endTime}`);
}

interface JobRun {
  seconds: number;
  /** CPU seconds of the host process (main thread, scoring workers, V8 and libuv helpers) during the job. */
  appCpu: number;
  azuriteCpu: number;
}

interface ModelRound {
  rawOne: RawRun;
  rawAll: RawRun;
  /** The raw scorer in one thread with its files downloaded from and its output uploaded to Azurite. */
  rawStorage: RawRun;
  /** The same over plain node:http (no SDK): the floor storage I/O puts under any client. */
  rawHttp: RawRun;
  cold: JobRun;
  warm: JobRun;
}

/** The figures of one round, each a ratio of throughputs (rows/s) or of CPU per row. */
function ratios(r: ModelRound) {
  // Had Azurite run elsewhere (as Azure Storage does), its CPU would have gone to the app: the job
  // would take its time less Azurite's share of the cores, but no less than the app's own CPU allows.
  const exAzurite = Math.max(r.warm.seconds - r.warm.azuriteCpu / CORES, r.warm.appCpu / CORES);
  return {
    appCpuPerRowRatio: r.warm.appCpu / r.rawOne.secondCpuSeconds,
    appCpuPerRowRatioWithAzurite: (r.warm.appCpu + r.warm.azuriteCpu) / r.rawOne.secondCpuSeconds,
    // Against a hand-written scorer that also downloads and uploads through the SDK: what the
    // app's orchestration, workers and exactly-once bookkeeping add over storage I/O itself.
    appCpuPerRowVsRawWithStorage: r.warm.appCpu / r.rawStorage.secondCpuSeconds,
    // The lowest appCpuPerRowRatio any scorer that reads from and writes to storage can reach:
    // raw scoring plus the storage calls over plain HTTP, no SDK, no orchestration.
    storageFloorRatio: r.rawHttp.secondCpuSeconds / r.rawOne.secondCpuSeconds,
    sdkFloorRatio: r.rawStorage.secondCpuSeconds / r.rawOne.secondCpuSeconds,
    warmVsRawAllCores: r.rawAll.secondSeconds / r.warm.seconds,
    warmVsRawAllCoresExAzurite: r.rawAll.secondSeconds / exAzurite,
    warmVsRawOneThread: r.rawOne.secondSeconds / r.warm.seconds,
    coldVsWarm: r.warm.seconds / r.cold.seconds,
    coldVsRawOneThreadCold: r.rawOne.firstSeconds / r.cold.seconds,
  };
}

type Figures = ReturnType<typeof ratios>;

/** Deploys `model` as a no-code ONNX deployment of endpoint `model`. */
async function deploy(stack: AppStack, model: string): Promise<void> {
  const dir = MODEL_DIRS[model];
  if (!dir) throw new Error(`unknown model '${model}' (known: ${Object.keys(MODEL_DIRS).join(', ')})`);
  await stack.uploadMany([{ name: `bench/${model}/MLmodel`, data: readFileSync(join(dir, 'MLmodel')) }, { name: `bench/${model}/model.onnx`, data: readFileSync(join(dir, 'model.onnx')) }]);
  await stack.apiOk('PUT', `models/${model}/versions/1`, { properties: { modelType: 'mlflow_model', modelUri: `azureml://datastores/workspaceblobstore/paths/bench/${model}` } });
  await stack.apiOk('PUT', `batchEndpoints/${model}`, { properties: {} });
  await stack.apiOk('PUT', `batchEndpoints/${model}/deployments/onnx`, {
    properties: { model: `azureml:${model}:1`, miniBatchSize: MINI_BATCH_SIZE, resources: { instanceCount: 1 }, maxConcurrencyPerInstance: CONCURRENCY },
  });
  await stack.apiOk('PATCH', `batchEndpoints/${model}`, { properties: { defaults: { deploymentName: 'onnx' } } });
}

async function job(stack: AppStack, model: string, label: string): Promise<JobRun> {
  const hostPid = stack.host.child.pid!;
  const azuritePid = stack.azurite.pid!;
  const [app0, az0] = [cpuSecondsOf(hostPid), cpuSecondsOf(azuritePid)];
  // Polled every 250 ms (each poll costs the host and Azurite a little CPU); the time is the
  // job's own end time, set by the app when it commits the output.
  const invokedAt = Date.now();
  const { job } = await stack.runJob(model, 'bench/scoring', {}, 250);
  const run = { seconds: (Date.parse(job.properties.endTime) - invokedAt) / 1000, appCpu: cpuSecondsOf(hostPid) - app0, azuriteCpu: cpuSecondsOf(azuritePid) - az0 };
  if (job.properties.status !== 'Completed') throw new Error(`job ended ${job.properties.status}: ${JSON.stringify(job.properties.error)}`);
  const output = await stack.workspace().getBlobClient(`azureml/${job.name}/score/predictions.csv`).getProperties();
  if (process.env.BENCH_DEBUG) {
    await printTimeline(stack, job);
    console.log(`  host threads (CPU s, live threads): ${JSON.stringify(Object.fromEntries([...cpuSecondsByThread(hostPid)].map(([k, v]) => [k, +v.toFixed(2)])))}`);
  }
  const total = FILES * ROWS_PER_FILE;
  console.log(
    `  ${model} ${label}: ${run.seconds.toFixed(2)} s  ${rate(total, run.seconds)} rows/s  (output ${(output.contentLength! / 1e6).toFixed(1)} MB)  ` +
      `CPU: app ${run.appCpu.toFixed(2)} s (${us(run.appCpu, total)} us/row), Azurite ${run.azuriteCpu.toFixed(2)} s`,
  );
  return run;
}

/** One round in a fresh stack (Azurite, host): per model the raw yardsticks, a first job and a second. */
async function round(n: number, names: string[], contents: string[], dir: string): Promise<Record<string, ModelRound>> {
  const stack = await AppStack.start({ azurite: process.env.BENCH_AZURITE_MEMORY === '1' ? 'memory' : 'disk', stdio: 'inherit' });
  const out: Record<string, ModelRound> = {};
  try {
    await stack.uploadMany(names.map((name, i) => ({ name: `bench/scoring/${name}`, data: contents[i]! })));
    const hostPid = stack.host.child.pid!;
    const [deployedAt, cpuBefore] = [Date.now(), cpuSecondsOf(hostPid)];
    for (const model of MODELS) await deploy(stack, model);
    // The host warms each deployment's scoring workers after its PUT (as a running service would,
    // ahead of any job): the yardsticks below must not share the cores with that.
    await waitUntilIdle(hostPid);
    console.log(`round ${n}: deployed ${MODELS.join(', ')}; the host was idle again after ${((Date.now() - deployedAt) / 1000).toFixed(2)} s, ${(cpuSecondsOf(hostPid) - cpuBefore).toFixed(2)} s of CPU (deployments warmed ahead)`);
    if (process.env.BENCH_DEBUG) console.log(`  host threads before the jobs (CPU s): ${JSON.stringify(Object.fromEntries([...cpuSecondsByThread(hostPid)].map(([k, v]) => [k, +v.toFixed(2)])))}`);
    const total = FILES * ROWS_PER_FILE;
    for (const model of MODELS) {
      const rawOne = rawScorer(dir, MODEL_DIRS[model]!, 1);
      const rawAll = rawScorer(dir, MODEL_DIRS[model]!, CORES);
      const storageEnv = { RAW_STORAGE: stack.azurite.connectionString, RAW_STORAGE_PID: String(stack.azurite.pid), MINI_BATCH_SIZE: String(MINI_BATCH_SIZE) };
      const rawStorage = rawScorer(dir, MODEL_DIRS[model]!, 1, storageEnv);
      const rawHttp = rawScorer(dir, MODEL_DIRS[model]!, 1, { ...storageEnv, RAW_STORAGE_HTTP: '1' });
      console.log(
        `round ${n}: ${model}: raw one thread ${rawOne.firstSeconds.toFixed(2)} s cold, ${rawOne.secondSeconds.toFixed(2)} s warm (CPU ${us(rawOne.secondCpuSeconds, total)} us/row); ` +
          `raw on ${CORES} cores ${rawAll.firstSeconds.toFixed(2)} s cold, ${rawAll.secondSeconds.toFixed(2)} s warm; ` +
          `raw with storage I/O, one thread: ${rawStorage.secondSeconds.toFixed(2)} s warm (CPU ${us(rawStorage.secondCpuSeconds, total)} us/row, Azurite ${us(rawStorage.storageSecondCpuSeconds ?? 0, total)} us/row); ` +
          `the same over plain HTTP: CPU ${us(rawHttp.secondCpuSeconds, total)} us/row`,
      );
      const cold = await job(stack, model, 'first job (cold workers)');
      const warm = await job(stack, model, 'second job (warm workers)');
      out[model] = { rawOne, rawAll, rawStorage, rawHttp, cold, warm };
      const f = ratios(out[model]);
      console.log(`  ${model} round ${n}: ${Object.entries(f).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    }
    console.log(`round ${n}: host peak memory ${peakRssMiBOf(stack.host.child.pid!).toFixed(0)} MiB`);
    return out;
  } finally {
    await stack.stop();
  }
}

const rate = (rows: number, seconds: number) => Math.round(rows / seconds).toLocaleString('en-US');
const us = (cpuSeconds: number, rows: number) => ((cpuSeconds * 1e6) / rows).toFixed(2);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const TARGETS: Partial<Record<keyof Figures, string>> = {
  appCpuPerRowRatio: '<= 1.2',
  warmVsRawAllCoresExAzurite: '>= 0.8',
  warmVsRawOneThread: '>= 1.2',
  coldVsWarm: '>= 0.9',
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scoring-'));
  const names = Array.from({ length: FILES }, (_, i) => `part-${String(i).padStart(4, '0')}.csv`);
  const contents = names.map((_, i) => csvFile(i + 1));
  names.forEach((name, i) => writeFileSync(join(dir, name), contents[i]!));
  const total = FILES * ROWS_PER_FILE;
  try {
    console.log(`${total.toLocaleString('en-US')} rows in ${FILES} CSV files; models ${MODELS.join(', ')}; deployment: miniBatchSize ${MINI_BATCH_SIZE}, instanceCount 1 x maxConcurrencyPerInstance ${CONCURRENCY}, scoring workers = cores (${CORES})`);
    console.log(`${ROUNDS} rounds, each in a fresh Azurite and host. Ratios are of throughput (rows/s) or of CPU per row; CPU from /proc (app = host process with its worker threads; Azurite apart)`);
    const rounds: Record<string, ModelRound>[] = [];
    for (let n = 1; n <= ROUNDS; n++) rounds.push(await round(n, names, contents, dir));
    const json: Record<string, unknown> = { rows: total, files: FILES, miniBatchSize: MINI_BATCH_SIZE, cores: CORES, rounds: ROUNDS };
    for (const model of MODELS) {
      const perRound = rounds.map((r) => ratios(r[model]!));
      const medians = Object.fromEntries(Object.keys(perRound[0]!).map((k) => [k, median(perRound.map((f) => f[k as keyof Figures]))])) as Figures;
      const raw = (pick: (r: ModelRound) => number) => median(rounds.map((r) => pick(r[model]!)));
      const absolute = {
        warmSeconds: raw((r) => r.warm.seconds),
        coldSeconds: raw((r) => r.cold.seconds),
        rawAllCoresWarmSeconds: raw((r) => r.rawAll.secondSeconds),
        rawOneThreadWarmSeconds: raw((r) => r.rawOne.secondSeconds),
        appCpuPerRowMicroseconds: raw((r) => (r.warm.appCpu * 1e6) / total),
        azuriteCpuPerRowMicroseconds: raw((r) => (r.warm.azuriteCpu * 1e6) / total),
        rawCpuPerRowMicroseconds: raw((r) => (r.rawOne.secondCpuSeconds * 1e6) / total),
        rawWithStorageCpuPerRowMicroseconds: raw((r) => (r.rawStorage.secondCpuSeconds * 1e6) / total),
        rawWithStorageAzuriteCpuPerRowMicroseconds: raw((r) => ((r.rawStorage.storageSecondCpuSeconds ?? 0) * 1e6) / total),
        rawWithHttpCpuPerRowMicroseconds: raw((r) => (r.rawHttp.secondCpuSeconds * 1e6) / total),
      };
      console.log(`${model}, medians of ${ROUNDS} rounds:`);
      for (const [k, v] of Object.entries(medians)) {
        console.log(`  ${k.padEnd(30)} ${v.toFixed(2)}  (rounds ${perRound.map((f) => f[k as keyof Figures].toFixed(2)).join(', ')})${TARGETS[k as keyof Figures] ? `  target ${TARGETS[k as keyof Figures]}` : ''}`);
      }
      console.log(`  app CPU per row / raw CPU per row: ${absolute.appCpuPerRowMicroseconds.toFixed(2)} / ${absolute.rawCpuPerRowMicroseconds.toFixed(2)} us (Azurite ${absolute.azuriteCpuPerRowMicroseconds.toFixed(2)} us/row apart)`);
      console.log(`  raw with storage I/O: ${absolute.rawWithStorageCpuPerRowMicroseconds.toFixed(2)} us/row (Azurite ${absolute.rawWithStorageAzuriteCpuPerRowMicroseconds.toFixed(2)} us/row apart); over plain HTTP ${absolute.rawWithHttpCpuPerRowMicroseconds.toFixed(2)} us/row`);
      const entry = { ...medians, ...absolute, perRound };
      // The headline model's figures are top-level keys; every model's are under its name.
      if (model === MODELS[0]) Object.assign(json, medians, { model });
      json[model] = entry;
    }
    writeBenchJson('scoring', json);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
