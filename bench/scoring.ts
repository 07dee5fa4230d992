/**
 * End-to-end scoring benchmark: 1,000,000 rows in 200 CSV files scored by the Iris model (no-code
 * ONNX deployment) through the whole pipeline (invoke -> orchestration -> mini-batch activities ->
 * worker pool -> output blob) in devhost on Azurite, against the raw scorer reading the same files
 * in one process. Prints rows/s for both and their ratio (target >= 0.8), for a first job (which
 * starts the scoring workers) and a second one (warm workers, the steady state of a running service),
 * per round and the medians over ROUNDS rounds.
 * Run: npm run bench:scoring   (FILES, ROWS_PER_FILE and ROUNDS override the defaults)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { execFileSync } from 'node:child_process';
import { MiniBatchStore } from '../lib/jobs/miniBatchStore';
import { AppStack, repoRoot } from '../scripts/support/appStack';

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

/** The raw scorer in a fresh process (bench/rawScorer.ts): seconds for a first and a second pass. */
function rawScorer(dir: string, modelDir: string): { first: number; second: number } {
  const out = execFileSync(process.execPath, [join(repoRoot, 'dist', 'bench', 'rawScorer.js'), dir, modelDir], { encoding: 'utf8' });
  const { rows, firstSeconds, secondSeconds } = JSON.parse(out) as { rows: number; firstSeconds: number; secondSeconds: number };
  if (rows !== FILES * ROWS_PER_FILE) throw new Error(`raw scorer produced ${rows} rows`);
  return { first: firstSeconds, second: secondSeconds };
}

/** Per mini-batch: duration, finish time and where the time went (BENCH_DEBUG=1). */
async function printTimeline(stack: AppStack, job: { name: string; properties: Record<string, string> }): Promise<void> {
  const store = new MiniBatchStore(TableClient.fromConnectionString(stack.azurite.connectionString, 'minibatches', { allowInsecureConnection: true }));
  for await (const mb of store.list(job.name)) {
    console.log(`  mini-batch ${mb.index}: ${mb.durationMs} ms, done ${mb.updatedAt} ${JSON.stringify(mb.timings ?? {})}`);
  }
  console.log(`  job ${job.properties.creationTime} -> ${job.properties.startTime} -> ${job.properties.endTime}`);
}

interface Round {
  /** Raw scorer: a fresh process's first pass, and its second. */
  rawCold: number;
  rawWarm: number;
  cold: number;
  warm: number;
}

/**
 * One round in a fresh stack (Azurite, host): the raw scorer, then a first job (which starts the
 * host's scoring workers) and a second one (warm workers, the steady state of a running service).
 */
async function round(n: number, names: string[], contents: string[], dir: string, modelDir: string): Promise<Round> {
  const stack = await AppStack.start({ azurite: process.env.BENCH_AZURITE_MEMORY === '1' ? 'memory' : 'disk', stdio: 'inherit' });
  try {
    await stack.uploadMany(names.map((name, i) => ({ name: `bench/scoring/${name}`, data: contents[i]! })));
    await stack.uploadMany([{ name: 'bench/model/MLmodel', data: readFileSync(join(modelDir, 'MLmodel')) }, { name: 'bench/model/model.onnx', data: readFileSync(join(modelDir, 'model.onnx')) }]);
    await stack.apiOk('PUT', 'models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/bench/model' } });
    await stack.apiOk('PUT', 'batchEndpoints/iris', { properties: {} });
    await stack.apiOk('PUT', 'batchEndpoints/iris/deployments/onnx', {
      properties: { model: 'azureml:iris:1', miniBatchSize: MINI_BATCH_SIZE, resources: { instanceCount: 1 }, maxConcurrencyPerInstance: CONCURRENCY },
    });
    await stack.apiOk('PATCH', 'batchEndpoints/iris', { properties: { defaults: { deploymentName: 'onnx' } } });

    const raw = rawScorer(dir, modelDir);
    const total = FILES * ROWS_PER_FILE;
    const e2e: number[] = [];
    for (const [label, rawSeconds] of [['first job (cold workers)', raw.first], ['second job (warm workers)', raw.second]] as const) {
      const { job, seconds } = await stack.runJob('iris', 'bench/scoring');
      if (job.properties.status !== 'Completed') throw new Error(`job ended ${job.properties.status}: ${JSON.stringify(job.properties.error)}`);
      const output = await stack.workspace().getBlobClient(`azureml/${job.name}/score/predictions.csv`).getProperties();
      if (process.env.BENCH_DEBUG) await printTimeline(stack, job);
      e2e.push(seconds);
      console.log(
        `round ${n}: ${label}: ${seconds.toFixed(2)} s  ${rate(total, seconds)} rows/s  (output ${(output.contentLength! / 1e6).toFixed(1)} MB)  ` +
          `raw ${rawSeconds.toFixed(2)} s  ratio ${(rawSeconds / seconds).toFixed(2)}`,
      );
    }
    return { rawCold: raw.first, rawWarm: raw.second, cold: e2e[0]!, warm: e2e[1]! };
  } finally {
    await stack.stop();
  }
}

const rate = (rows: number, seconds: number) => Math.round(rows / seconds).toLocaleString('en-US');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scoring-'));
  const names = Array.from({ length: FILES }, (_, i) => `part-${String(i).padStart(4, '0')}.csv`);
  const contents = names.map((_, i) => csvFile(i + 1));
  names.forEach((name, i) => writeFileSync(join(dir, name), contents[i]!));
  const modelDir = join(repoRoot, 'samples', 'iris', 'model');
  const total = FILES * ROWS_PER_FILE;
  try {
    console.log(`${total.toLocaleString('en-US')} rows in ${FILES} CSV files; deployment: miniBatchSize ${MINI_BATCH_SIZE}, instanceCount 1 x maxConcurrencyPerInstance ${CONCURRENCY}, scoring workers = cores (${availableParallelism()})`);
    console.log(`${ROUNDS} rounds, each in a fresh Azurite and host; ratio = raw time / end-to-end time of the same round`);
    console.log('raw = the scorer alone in a fresh process, one thread: its first pass is compared with the first job, its second with the second job');
    const rounds: Round[] = [];
    for (let n = 1; n <= ROUNDS; n++) rounds.push(await round(n, names, contents, dir, modelDir));
    const cases = [
      ['first job (cold workers)', (r: Round) => r.cold, (r: Round) => r.rawCold],
      ['second job (warm workers)', (r: Round) => r.warm, (r: Round) => r.rawWarm],
    ] as const;
    for (const [label, pick, pickRaw] of cases) {
      const ratios = rounds.map((r) => pickRaw(r) / pick(r));
      const seconds = median(rounds.map(pick));
      const raw = median(rounds.map(pickRaw));
      console.log(
        `${label}, median: end to end ${seconds.toFixed(2)} s  ${rate(total, seconds)} rows/s; raw ${raw.toFixed(2)} s  ${rate(total, raw)} rows/s; ` +
          `ratio to raw: median ${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}) (target >= 0.8)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
