/**
 * The raw scorer of the scoring benchmark, as a process of its own: loads the model and scores
 * the CSV files of a folder with no pipeline around it, twice. The first pass is a fresh process
 * (its code not yet optimized by V8, like a job's new scoring workers); the second is warm.
 * With THREADS > 1 it runs one worker thread per share of the files (disjoint sets, file i goes
 * to thread i mod THREADS): the machine's limit when THREADS is the number of cores. Each pass
 * starts in every thread at once (the threads wait for each other between passes).
 * Prints JSON: { rows, firstSeconds, secondSeconds, firstCpuSeconds, secondCpuSeconds } (CPU of
 * the whole process, every thread, from process.cpuUsage()).
 * With RAW_STORAGE=<connection string> (one thread only) the files come from and go to storage, as
 * a hand-written scorer with no orchestration would do it: the blobs `bench/scoring/<name>` of the
 * workspace container, downloaded with the SDK (4 at a time) in groups of MINI_BATCH_SIZE files,
 * each group scored from memory and its output staged as one block, the blocks committed at the
 * end: the floor that storage I/O puts under the app, with the same SDK on the same Azurite.
 * With RAW_STORAGE_HTTP=1 as well, the same requests go over plain node:http with a SAS (no SDK
 * pipeline, no retries): the floor for any client of the storage service, hand-written or not.
 * Run: node dist/bench/rawScorer.js <csv folder> <model folder> [threads]
 */
import { readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import { loadOnnxModel, type OnnxModel } from '../lib/scoring/onnx/model';
import { scoreTabularFile } from '../lib/scoring/tabular/scoreFile';
import { mapLimited } from '../lib/util/mapLimited';
import { cpuSecondsOf } from './procStats';

const STORAGE = process.env.RAW_STORAGE;
const GROUP = Number(process.env.MINI_BATCH_SIZE ?? 10);
const PLAIN_HTTP = process.env.RAW_STORAGE_HTTP === '1';

async function pass(model: OnnxModel, dir: string, names: string[]): Promise<number> {
  if (STORAGE) {
    const container = BlobServiceClient.fromConnectionString(STORAGE).getContainerClient('workspaceblobstore');
    return PLAIN_HTTP ? storagePass(model, await httpBlobs(container), names) : storagePass(model, sdkBlobs(container), names);
  }
  let rows = 0;
  for (const name of names) {
    for await (const chunk of scoreTabularFile(model, join(dir, name), { fileName: name })) rows += chunk.lines.length;
  }
  return rows;
}

let passes = 0;
const encoder = new TextEncoder();

/** The three storage calls a scorer with no orchestration makes. */
interface Blobs {
  download(name: string): Promise<Uint8Array>;
  stageBlock(name: string, id: string, bytes: Uint8Array): Promise<void>;
  commit(name: string, ids: string[]): Promise<void>;
}

const sdkBlobs = (container: ContainerClient): Blobs => ({
  async download(name) {
    const res = await container.getBlockBlobClient(name).download();
    const chunks: Buffer[] = [];
    for await (const chunk of res.readableStreamBody!) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  },
  async stageBlock(name, id, bytes) {
    await container.getBlockBlobClient(name).stageBlock(id, bytes, bytes.byteLength);
  },
  async commit(name, ids) {
    await container.getBlockBlobClient(name).commitBlockList(ids);
  },
});

/** The same calls over node:http with a container SAS made once (keep-alive, no SDK pipeline). */
async function httpBlobs(container: ContainerClient): Promise<Blobs> {
  const sas = new URL(await container.generateSasUrl({ permissions: ContainerSASPermissions.parse('rcw'), expiresOn: new Date(Date.now() + 3_600_000) }));
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const call = (method: string, name: string, extra: string, body?: Uint8Array | string) =>
    new Promise<Buffer>((resolve, reject) => {
      const url = `${sas.origin}${sas.pathname}/${name}?${extra}${extra ? '&' : ''}${sas.search.slice(1)}`;
      const headers: Record<string, string | number> = { 'x-ms-version': '2021-12-02' };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const req = request(url, { method, agent, headers }, (res) => {
        const length = Number(res.headers['content-length'] ?? 0);
        const out = Buffer.allocUnsafe(length);
        let at = 0;
        res.on('data', (chunk: Buffer) => (at += chunk.copy(out, at)));
        res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(out.subarray(0, at)) : reject(new Error(`${method} ${name}: ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    download: async (name) => new Uint8Array(await call('GET', name, '')),
    stageBlock: async (name, id, bytes) => void (await call('PUT', name, `comp=block&blockid=${encodeURIComponent(id)}`, bytes)),
    commit: async (name, ids) => void (await call('PUT', name, 'comp=blocklist', `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.map((id) => `<Latest>${id}</Latest>`).join('')}</BlockList>`)),
  };
}

/** Downloads, scores and uploads: each group of files one staged block of one output blob per pass. */
async function storagePass(model: OnnxModel, blobs: Blobs, names: string[]): Promise<number> {
  const output = `bench/raw-output/${process.pid}-${passes++}.csv`;
  const ids: string[] = [];
  let rows = 0;
  for (let g = 0; g < names.length; g += GROUP) {
    const group = names.slice(g, g + GROUP);
    const files = await mapLimited(group, 4, (name) => blobs.download(`bench/scoring/${name}`));
    const pieces: string[] = [];
    for (let i = 0; i < group.length; i++) {
      for await (const chunk of scoreTabularFile(model, group[i]!, { fileName: group[i], bytes: files[i] })) {
        rows += chunk.lines.length;
        pieces.push(`${chunk.lines.join('\n')}\n`);
      }
    }
    const id = Buffer.from(String(g).padStart(12, '0')).toString('base64');
    await blobs.stageBlock(output, id, encoder.encode(pieces.join('')));
    ids.push(id);
  }
  await blobs.commit(output, ids);
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
  // RAW_STORAGE_PID: the storage emulator's process, whose CPU during the second pass is reported too.
  const storagePid = Number(process.env.RAW_STORAGE_PID ?? 0);
  const storage0 = storagePid ? cpuSecondsOf(storagePid) : 0;
  if ((await pass(model, dir, names)) !== rows) throw new Error('the second pass scored a different number of rows');
  const t2 = performance.now();
  const second = cpuSeconds(cpu1);
  const storageCpu = storagePid ? { storageSecondCpuSeconds: cpuSecondsOf(storagePid) - storage0 } : {};
  return { rows, firstSeconds: (t1 - t0) / 1000, secondSeconds: (t2 - t1) / 1000, firstCpuSeconds: cpuSeconds(cpu0) - second, secondCpuSeconds: second, ...storageCpu };
}

async function main(): Promise<void> {
  const [dir, modelDir, threadArg] = process.argv.slice(2);
  if (!dir || !modelDir) throw new Error('usage: rawScorer <csv folder> <model folder> [threads]');
  const names = readdirSync(dir).filter((n) => n.endsWith('.csv')).sort();
  const threads = Number(threadArg ?? 1);
  if (STORAGE && threads !== 1) throw new Error('RAW_STORAGE runs in one thread');
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
