/**
 * Big-file benchmark: one CSV of SIZES megabytes (default 100 and 1000) scored by the Iris model
 * (no-code ONNX deployment, the file alone in its mini-batch) through the whole pipeline in
 * devhost on Azurite. Prints the host's peak resident memory (the host process: its main thread
 * and its scoring worker threads; Azurite is a process of its own, not counted) and its memory
 * once the job is done, against the target: under 600 MB for a 1 GB file (issue 15, item 4).
 * Each size runs in a fresh Azurite (on disk) and host.
 * Run: npm run bench:big-file   (SIZES=100,1000; BENCH_JSON=<file> writes the figures)
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { AppStack, repoRoot } from '../scripts/support/appStack';
import { writeBenchJson } from './benchJson';
import { cpuSecondsOf, peakRssMiBOf, rssMiBOf } from './procStats';

const SIZES = (process.env.SIZES ?? '100,1000').split(',').map(Number);
const TARGET_MIB = 600;
const HEADER = 'sepal_length,sepal_width,petal_length,petal_width\n';

/** Writes a CSV of about `mb` megabytes (deterministic rows of 16 bytes); returns its row count. */
async function writeCsv(path: string, mb: number): Promise<number> {
  const out = createWriteStream(path);
  const rowsPerPiece = 65_536;
  let piece = '';
  for (let i = 0; i < rowsPerPiece; i++) piece += `${(4.3 + (i % 36) / 10).toFixed(1)},${(2 + (i % 24) / 10).toFixed(1)},${(1 + (i % 59) / 10).toFixed(1)},${(0.1 + (i % 24) / 10).toFixed(1)}\n`;
  const pieces = Math.max(1, Math.round((mb * 1e6) / piece.length));
  out.write(HEADER);
  for (let p = 0; p < pieces; p++) if (!out.write(piece)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return pieces * rowsPerPiece;
}

/** Bytes of the output for `rows` rows of file `name`: `row,prediction,name\n` with a one-digit class. */
function outputBytes(rows: number, name: string): number {
  let digits = 0;
  for (let d = 1, from = 0; from < rows; d++, from = 10 ** (d - 1)) digits += (Math.min(rows, 10 ** d) - from) * d;
  return digits + rows * (1 + 1 + 1 + name.length + 1);
}

interface Run {
  megabytes: number;
  rows: number;
  seconds: number;
  hostPeakMiB: number;
  hostAfterMiB: number;
  hostBeforeMiB: number;
  appCpuSeconds: number;
}

async function run(mb: number, dir: string): Promise<Run> {
  const file = join(dir, 'big.csv');
  const rows = await writeCsv(file, mb);
  const stack = await AppStack.start({ azurite: 'disk', stdio: 'inherit' });
  try {
    const container = stack.workspace();
    await container.createIfNotExists();
    await container.getBlockBlobClient('bench/big/big.csv').uploadFile(file, { blockSize: 8 * 1024 * 1024, concurrency: 4 });
    const model = join(repoRoot, 'samples', 'iris', 'model');
    await stack.uploadMany([{ name: 'bench/model/MLmodel', data: readFileSync(join(model, 'MLmodel')) }, { name: 'bench/model/model.onnx', data: readFileSync(join(model, 'model.onnx')) }]);
    await stack.apiOk('PUT', 'models/iris/versions/1', { properties: { modelType: 'mlflow_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/bench/model' } });
    await stack.apiOk('PUT', 'batchEndpoints/big', { properties: {} });
    await stack.apiOk('PUT', 'batchEndpoints/big/deployments/onnx', {
      properties: { model: 'azureml:iris:1', miniBatchSize: 10, retrySettings: { maxRetries: 0, timeout: 'PT29M' }, resources: { instanceCount: 1 }, maxConcurrencyPerInstance: 1 },
    });
    await stack.apiOk('PATCH', 'batchEndpoints/big', { properties: { defaults: { deploymentName: 'onnx' } } });
    const pid = stack.host.child.pid!;
    const hostBeforeMiB = rssMiBOf(pid);
    const cpu0 = cpuSecondsOf(pid);
    const { job, seconds } = await stack.runJob('big', 'bench/big', {}, 1000);
    if (job.properties.status !== 'Completed') throw new Error(`job ended ${job.properties.status}: ${JSON.stringify(job.properties.error)}`);
    const appCpuSeconds = cpuSecondsOf(pid) - cpu0;
    const hostPeakMiB = peakRssMiBOf(pid);
    const size = (await container.getBlobClient(`azureml/${job.name}/score/predictions.csv`).getProperties()).contentLength;
    if (size !== outputBytes(rows, 'big.csv')) throw new Error(`the output has ${size} bytes; ${rows} rows make ${outputBytes(rows, 'big.csv')}`);
    // Once the job is done the scoring worker idles: what it and the host keep.
    await new Promise((r) => setTimeout(r, 2000));
    const hostAfterMiB = rssMiBOf(pid);
    const r = { megabytes: statSync(file).size / 1e6, rows, seconds, hostPeakMiB, hostAfterMiB, hostBeforeMiB, appCpuSeconds };
    console.log(
      `${r.megabytes.toFixed(0)} MB CSV, ${rows.toLocaleString('en-US')} rows: ${seconds.toFixed(1)} s, app CPU ${appCpuSeconds.toFixed(1)} s; ` +
        `host (with its scoring workers) ${hostBeforeMiB.toFixed(0)} MiB before, peak ${hostPeakMiB.toFixed(0)} MiB, ${hostAfterMiB.toFixed(0)} MiB after (target: peak < ${TARGET_MIB} MB); output ${(size! / 1e6).toFixed(0)} MB checked`,
    );
    return r;
  } finally {
    await stack.stop();
    rmSync(file, { force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-bigfile-'));
  try {
    const runs: Run[] = [];
    for (const mb of SIZES) runs.push(await run(mb, dir));
    writeBenchJson('big-file', { targetPeakMiB: TARGET_MIB, runs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
