/**
 * The raw scorer of the scoring benchmark, as a process of its own: loads the model and scores
 * the CSV files of a folder with no pipeline around it, twice. The first pass is a fresh process
 * (its code not yet optimized by V8, like a job's new scoring workers); the second is warm.
 * With THREADS > 1 it runs one worker thread per share of the files (disjoint sets, file i goes
 * to thread i mod THREADS): the machine's limit when THREADS is the number of cores. Each pass
 * starts in every thread at once (the threads wait for each other between passes).
 * Prints JSON: { rows, firstSeconds, secondSeconds, firstCpuSeconds, secondCpuSeconds } (CPU of
 * the whole process, every thread, from process.cpuUsage()).
 * Run: node dist/bench/rawScorer.js <csv folder> <model folder> [threads]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadOnnxModel, type OnnxModel } from '../lib/scoring/onnx/model';
import { scoreTabularFile } from '../lib/scoring/tabular/scoreFile';

async function pass(model: OnnxModel, dir: string, names: string[]): Promise<number> {
  let rows = 0;
  for (const name of names) {
    for await (const chunk of scoreTabularFile(model, join(dir, name), { fileName: name })) rows += chunk.lines.length;
  }
  return rows;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

interface Share {
  dir: string;
  modelDir: string;
  names: string[];
}

/** A worker thread: loads the model, then runs a pass each time the main thread says 'go'. */
async function workerMain(): Promise<void> {
  const { dir, modelDir, names } = workerData as Share;
  const model = await loadOnnxModel(modelDir);
  parentPort!.on('message', () => {
    void pass(model, dir, names).then((rows) => parentPort!.postMessage(rows));
  });
  parentPort!.postMessage('ready');
}

async function threaded(dir: string, modelDir: string, names: string[], threads: number) {
  const workers = Array.from({ length: threads }, (_, t) => new Worker(__filename, { workerData: { dir, modelDir, names: names.filter((_, i) => i % threads === t) } }));
  const next = () => Promise.all(workers.map((w) => new Promise<unknown>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); })));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await next(); // models loaded (part of the first pass, as in the one-thread case)
  const runPass = async () => {
    const done = next();
    for (const w of workers) w.postMessage('go');
    return ((await done) as number[]).reduce((s, n) => s + n, 0);
  };
  const rows = await runPass();
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  if ((await runPass()) !== rows) throw new Error('the second pass scored a different number of rows');
  const t2 = performance.now();
  const second = cpuSeconds(cpu1);
  await Promise.all(workers.map((w) => w.terminate()));
  return { rows, firstSeconds: (t1 - t0) / 1000, secondSeconds: (t2 - t1) / 1000, firstCpuSeconds: cpuSeconds(cpu0) - second, secondCpuSeconds: second };
}

async function oneThread(dir: string, modelDir: string, names: string[]) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await loadOnnxModel(modelDir);
  const rows = await pass(model, dir, names);
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  if ((await pass(model, dir, names)) !== rows) throw new Error('the second pass scored a different number of rows');
  const t2 = performance.now();
  const second = cpuSeconds(cpu1);
  return { rows, firstSeconds: (t1 - t0) / 1000, secondSeconds: (t2 - t1) / 1000, firstCpuSeconds: cpuSeconds(cpu0) - second, secondCpuSeconds: second };
}

async function main(): Promise<void> {
  const [dir, modelDir, threadArg] = process.argv.slice(2);
  if (!dir || !modelDir) throw new Error('usage: rawScorer <csv folder> <model folder> [threads]');
  const names = readdirSync(dir).filter((n) => n.endsWith('.csv')).sort();
  const threads = Number(threadArg ?? 1);
  const result = threads > 1 ? await threaded(dir, modelDir, names, threads) : await oneThread(dir, modelDir, names);
  console.log(JSON.stringify(result));
}

if (isMainThread) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
} else {
  workerMain().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
