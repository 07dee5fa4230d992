/**
 * End-to-end scoring benchmark: 1,000,000 rows in 200 CSV files scored by the Iris model (no-code
 * ONNX deployment) through the whole pipeline (invoke -> orchestration -> mini-batch activities ->
 * worker pool -> output blob) in devhost on Azurite, against the raw scorer reading the same files
 * in one process. Prints rows/s for both and their ratio (target >= 0.8), for a first job (which
 * starts the scoring workers) and a second one (warm workers, the steady state of a running service).
 * Run: npm run bench:scoring   (FILES and ROWS_PER_FILE override the size)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { MiniBatchStore } from '../lib/jobs/miniBatchStore';
import { loadOnnxModel } from '../lib/scoring/onnx/model';
import { scoreTabularFile } from '../lib/scoring/tabular/scoreFile';
import { BenchStack, repoRoot } from './support/appStack';

const FILES = Number(process.env.FILES ?? 200);
const ROWS_PER_FILE = Number(process.env.ROWS_PER_FILE ?? 5000);
/**
 * Mini-batches in flight. Two scoring workers (one per core) do the work; a few more mini-batches
 * in flight than workers keep them busy while others download inputs and upload results.
 */
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);

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

async function rawScorer(dir: string, names: string[], modelDir: string): Promise<number> {
  const model = await loadOnnxModel(modelDir);
  const started = performance.now();
  let rows = 0;
  for (const name of names) {
    for await (const chunk of scoreTabularFile(model, join(dir, name), { fileName: name })) rows += chunk.lines.length;
  }
  const seconds = (performance.now() - started) / 1000;
  if (rows !== FILES * ROWS_PER_FILE) throw new Error(`raw scorer produced ${rows} rows`);
  return seconds;
}

/** Per mini-batch: duration, finish time and where the time went (BENCH_DEBUG=1). */
async function printTimeline(stack: BenchStack, job: { name: string; properties: Record<string, string> }): Promise<void> {
  const store = new MiniBatchStore(TableClient.fromConnectionString(stack.azurite.connectionString, 'minibatches', { allowInsecureConnection: true }));
  for await (const mb of store.list(job.name)) {
    console.log(`  mini-batch ${mb.index}: ${mb.durationMs} ms, done ${mb.updatedAt} ${JSON.stringify(mb.timings ?? {})}`);
  }
  console.log(`  job ${job.properties.creationTime} -> ${job.properties.startTime} -> ${job.properties.endTime}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scoring-'));
  const names = Array.from({ length: FILES }, (_, i) => `part-${String(i).padStart(4, '0')}.csv`);
  const contents = names.map((_, i) => csvFile(i + 1));
  names.forEach((name, i) => writeFileSync(join(dir, name), contents[i]!));
  const modelDir = join(repoRoot, 'samples', 'iris', 'model');
  const stack = await BenchStack.start();
  try {
    await stack.uploadMany(names.map((name, i) => ({ name: `bench/scoring/${name}`, data: contents[i]! })));
    await stack.uploadMany([{ name: 'bench/model/MLmodel', data: require('node:fs').readFileSync(join(modelDir, 'MLmodel')) }, { name: 'bench/model/model.onnx', data: require('node:fs').readFileSync(join(modelDir, 'model.onnx')) }]);
    await stack.api('PUT', 'models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/bench/model' } });
    await stack.api('PUT', 'batchEndpoints/iris', { properties: {} });
    await stack.api('PUT', 'batchEndpoints/iris/deployments/onnx', {
      properties: { model: 'azureml:iris:1', miniBatchSize: 10, resources: { instanceCount: 1 }, maxConcurrencyPerInstance: CONCURRENCY },
    });
    await stack.api('PATCH', 'batchEndpoints/iris', { properties: { defaults: { deploymentName: 'onnx' } } });

    const raw = await rawScorer(dir, names, modelDir);
    const total = FILES * ROWS_PER_FILE;
    const rawRate = total / raw;
    console.log(`deployment: miniBatchSize 10, instanceCount 1 x maxConcurrencyPerInstance ${CONCURRENCY}, scoring workers = cores (${require('node:os').availableParallelism()})`);
    console.log(`raw scorer (one process, one thread): ${raw.toFixed(2)} s  ${Math.round(rawRate).toLocaleString('en-US')} rows/s  (${total.toLocaleString('en-US')} rows in ${FILES} CSV files)`);
    // The first job after start pays for starting the scoring workers; the second finds them warm.
    for (const label of ['first job (cold workers)', 'second job (warm workers)']) {
      const { job, seconds } = await stack.runJob('iris', 'bench/scoring');
      if (job.properties.status !== 'Completed') throw new Error(`job ended ${job.properties.status}: ${JSON.stringify(job.properties.error)}`);
      const output = await stack.workspace().getBlobClient(`azureml/${job.name}/score/predictions.csv`).getProperties();
      if (process.env.BENCH_DEBUG) await printTimeline(stack, job);
      const e2eRate = total / seconds;
      console.log(
        `end to end, ${label}: ${seconds.toFixed(2)} s  ${Math.round(e2eRate).toLocaleString('en-US')} rows/s  ` +
          `(output ${(output.contentLength! / 1e6).toFixed(1)} MB)  ratio to raw ${(e2eRate / rawRate).toFixed(2)} (target >= 0.8)`,
      );
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
