import { ensureContainer } from '../../lib/storage/once';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAssets } from '../../lib/assets/localAssets';
import { createJobActivities } from '../../lib/jobs/jobActivities';
import { IdempotencyStore } from '../../lib/jobs/idempotency';
import { JobStore, jobsTableFromSettings } from '../../lib/jobs/jobStore';
import { MiniBatchStore } from '../../lib/jobs/miniBatchStore';
import { PlanManifest } from '../../lib/jobs/planManifest';
import { DIRECT_OUTPUT_BLOCKS, MAX_COMMITTED_BLOCKS, OutputParts } from '../../lib/jobs/outputParts';
import { downloadInputFile } from '../../lib/inputs/download';
import type { DataDeps } from '../../lib/inputs/resolveInput';
import { listFirstInputFiles, listInputFiles } from '../../lib/inputs/listFiles';
import { logsLocation, outputContainer } from '../../lib/outputs/outputLocation';
import { registryFromSettings } from '../../lib/registry/fromSettings';
import { ScorerPool } from '../../lib/scoring/runtime/scorerPool';
import { storageClientsFromSetting } from '../../lib/storage/clients';

const env = process.env;
const number = (name: string, fallback: number): number => {
  const value = Number(env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

/** One set of clients and stores per worker process, shared by every entry point. */
export const clients = storageClientsFromSetting();
export const registry = registryFromSettings(clients);
const jobsTable = jobsTableFromSettings(clients);
export const jobs = new JobStore(jobsTable);
export const idempotency = new IdempotencyStore(jobsTable);
export const miniBatches = new MiniBatchStore(clients.table(env.MINIBATCHES_TABLE || 'minibatches'));
export const dataDeps: DataDeps = { registry, blob: clients.blob };

let activities: ReturnType<typeof createJobActivities> | undefined;

/** The output's container and blob, the container created once per process (new datastores start empty). */
async function outputPlace(location: Parameters<typeof outputContainer>[0]) {
  const place = await outputContainer(location, dataDeps);
  await ensureContainer(place.container);
  return place;
}

/** The job activities, built on first use: HTTP-only invocations never start scoring workers. */
export function jobActivities(): ReturnType<typeof createJobActivities> {
  if (activities) return activities;
  const workDir = env.SCORING_WORK_DIR || join(tmpdir(), 'batch-endpoints');
  const assets = new LocalAssets(dataDeps, join(workDir, 'assets'));
  // The jobs' scratch container: plans and output parts, deleted when a job ends.
  const scratch = clients.blob.getContainerClient(env.JOB_PLANS_CONTAINER || 'batch-job-plans');
  // Warm workers are kept 5 minutes (not the pool's 60 s): jobs that come every few minutes then
  // find the model loaded and the scoring code optimized by V8 (a fresh worker scores its first
  // rows at a quarter of its later speed: docs/benchmarks.md).
  const scorer = new ScorerPool({
    maxWorkers: env.SCORING_MAX_WORKERS ? number('SCORING_MAX_WORKERS', 1) : undefined,
    idleTimeoutMs: number('SCORING_IDLE_TIMEOUT_MS', 300_000),
  });
  activities = createJobActivities({
    jobs,
    miniBatches,
    plans: new PlanManifest(scratch),
    parts: new OutputParts(scratch),
    listInputFiles: (input) => listInputFiles(input, dataDeps),
    listFirstInputFiles: (input, enough) => listFirstInputFiles(input, dataDeps, enough),
    downloadInputFile: (file, dir) => downloadInputFile(file, dir, dataDeps),
    outputBlob: async (location) => (await outputPlace(location)).blob,
    writeLog: async (jobId, name, text) => {
      const logs = logsLocation(jobId);
      const folder = await outputPlace(logs);
      const blob = folder.container.getBlockBlobClient(`${folder.path.replace(/\/+$/, '')}/${name}`);
      await blob.upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8' } });
      return logs.uri;
    },
    localModel: (spec) => assets.model(spec),
    localCode: (spec) => assets.code(spec),
    scorer,
    workDir: join(workDir, 'jobs'),
    tuning: {
      // A chunk's part blob commits one block per mini-batch: at most 50,000.
      chunkSize: Math.min(number('JOB_CHUNK_SIZE', 500), MAX_COMMITTED_BLOCKS),
      retryDelayMs: number('MINI_BATCH_RETRY_DELAY_MS', 1000),
      progressIntervalMs: number('JOB_PROGRESS_INTERVAL_MS', 2000),
      downloadConcurrency: number('DOWNLOAD_CONCURRENCY', 8),
      // Lower only to exercise the part path on small jobs; above the default a blob's limits break.
      directOutputBlocks: Math.min(number('OUTPUT_DIRECT_BLOCKS', DIRECT_OUTPUT_BLOCKS), DIRECT_OUTPUT_BLOCKS),
    },
    now: () => new Date(),
  });
  return activities;
}
