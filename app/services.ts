import { ensureContainer } from '../lib/storage/once';
import { join } from 'node:path';
import { LocalAssets } from '../lib/assets/localAssets';
import { createJobActivities, type JobActivities } from '../lib/jobs/activities';
import { DeploymentWarmer } from '../lib/jobs/deploymentWarmer';
import { IdempotencyStore } from '../lib/jobs/idempotency';
import { JobStore } from '../lib/jobs/jobStore';
import { MiniBatchStore } from '../lib/jobs/miniBatchStore';
import { OutputClaims } from '../lib/jobs/outputClaims';
import { PlanManifest } from '../lib/jobs/planManifest';
import { OutputParts } from '../lib/output/parts';
import { downloadInputBytes, downloadInputFile } from '../lib/inputs/download';
import { guardedAgent } from '../lib/inputs/safeFetch';
import type { DataDeps } from '../lib/inputs/resolveInput';
import { listFirstInputFiles, listInputFiles } from '../lib/inputs/listFiles';
import { OutputPlaces } from '../lib/output/location';
import { openRegistry } from '../lib/registry/open';
import { ScorerPool } from '../lib/scoring/runtime/scorerPool';
import { storageClients } from '../lib/storage/clients';
import type { PendingUploadDeps } from '../lib/uploads/pendingUpload';
import { writeJobResult } from '../lib/drops/writeResult';
import { DROP_DATASTORES } from '../lib/drops/startDropJob';
import { publicBaseUrl, settings } from './settings';

// The composition root: the object graph every entry point (functions/, orchestrations/) shares.
// Settings are parsed here, at load, so a bad one stops the app when it starts.
const config = settings();

/** One set of clients and stores per worker process, shared by every entry point. */
export const clients = storageClients(config.storage);
/** The host's functionTimeout: deployments and invokes refuse mini-batch timeouts past it. */
export const functionTimeout = config.functionTimeout;
export const registry = openRegistry(clients, {
  table: config.tables.registry,
  workspaceBlobContainer: config.workspaceBlobContainer,
  otherBuiltIns: [
    { name: DROP_DATASTORES.inbox, containerName: config.drops.inbox, description: 'Built in: the blob-drop inbox (`<endpoint>/<drop>/_SUCCESS` starts a job).' },
    { name: DROP_DATASTORES.outbox, containerName: config.drops.outbox, description: "Built in: the blob-drop outbox (drops' default outputs and `_result.json`)." },
  ],
});
const jobsTable = clients.table(config.tables.jobs);
export const jobs = new JobStore(jobsTable);
export const idempotency = new IdempotencyStore(jobsTable);
export const outputClaims = new OutputClaims(jobsTable);
export const miniBatches = new MiniBatchStore(clients.table(config.tables.miniBatches));
// Other accounts' blob connections go through the address policy (the identity token goes with them).
export const dataDeps: DataDeps = { registry, blob: clients.blob, agent: guardedAgent() };

/** Local uploads (`startPendingUpload`) land in the workspace datastore's container. */
export const uploads: PendingUploadDeps = { blob: clients.blob, containerName: config.workspaceBlobContainer, now: () => new Date() };

/** Jobs' output and log blobs, resolved once per location (their containers created: new datastores start empty). */
export const outputPlaces = new OutputPlaces(dataDeps, ensureContainer);

/** Blob drops: the inbox the `blobDrop` function watches and the outbox results go to. */
export const drops = {
  inbox: clients.blob.getContainerClient(config.drops.inbox),
  outbox: clients.blob.getContainerClient(config.drops.outbox),
  datastores: DROP_DATASTORES,
};

let scoring: { assets: LocalAssets; scorer: ScorerPool } | undefined;

/**
 * The local asset cache and the scoring workers, built on first use (a job, or a deployment
 * warmed ahead): an instance that only answers HTTP reads never starts them.
 */
function scoringRuntime(): { assets: LocalAssets; scorer: ScorerPool } {
  if (scoring) return scoring;
  const assets = new LocalAssets(dataDeps, join(config.scoring.workDir, 'assets'));
  // Warm workers are kept 5 minutes (not the pool's 60 s): jobs that come every few minutes then
  // find the model loaded and the scoring code optimized by V8 (a fresh worker scores its first
  // rows at a quarter of its later speed: docs/benchmarks.md).
  const scorer = new ScorerPool({
    maxWorkers: config.scoring.maxWorkers,
    idleTimeoutMs: config.scoring.idleTimeoutMs,
    onnxIntraOpThreads: config.scoring.onnxIntraOpThreads,
  });
  scoring = { assets, scorer };
  return scoring;
}

/** The host log: the Functions worker sends console output there (Application Insights in Azure). */
function hostLog(level: 'debug' | 'info' | 'warning' | 'error', message: string): void {
  (level === 'error' ? console.error : level === 'warning' ? console.warn : level === 'debug' ? console.debug : console.info)(message);
}

let warmer: DeploymentWarmer | undefined;

/** Starts deployments' scoring workers ahead of their first job on this instance (lib/jobs/deploymentWarmer.ts). */
export function deploymentWarmer(): DeploymentWarmer {
  warmer ??= new DeploymentWarmer({
    resolveDeployment: (endpoint, deployment) => registry.resolveDeployment(endpoint, deployment),
    listEndpoints: () => registry.endpoints.list(),
    localModel: (spec) => scoringRuntime().assets.model(spec),
    localCode: (spec) => scoringRuntime().assets.code(spec),
    scorer: { warm: (...args) => scoringRuntime().scorer.warm(...args) },
    log: hostLog,
    limit: config.scoring.prewarmDeployments,
  });
  return warmer;
}

let activities: JobActivities | undefined;

/** The job activities, built on first use: HTTP-only invocations never start scoring workers. */
export function jobActivities(): JobActivities {
  if (activities) return activities;
  const workDir = config.scoring.workDir;
  const { assets, scorer } = scoringRuntime();
  // The jobs' scratch container: plans and output parts, deleted when a job ends.
  const scratch = clients.blob.getContainerClient(config.jobPlansContainer);
  activities = createJobActivities({
    jobs,
    miniBatches,
    outputClaims,
    plans: new PlanManifest(scratch),
    parts: new OutputParts(scratch),
    listInputFiles: (input) => listInputFiles(input, dataDeps),
    listFirstInputFiles: (input, enough) => listFirstInputFiles(input, dataDeps, enough),
    downloadInputFile: (file, dir) => downloadInputFile(file, dir, dataDeps),
    downloadInputBytes: (file) => downloadInputBytes(file, dataDeps),
    outputBlob: (location) => outputPlaces.blob(location),
    writeLog: (jobId, name, text) => outputPlaces.writeLog(jobId, name, text),
    localModel: (spec) => assets.model(spec),
    localCode: (spec) => assets.code(spec),
    scorer,
    jobEnded: (record) => writeJobResult({ place: (location) => outputPlaces.place(location), baseUrl: publicBaseUrl(), now: () => new Date() }, record),
    workDir: join(workDir, 'jobs'),
    tuning: {
      chunkSize: config.jobs.chunkSize,
      retryDelayMs: config.jobs.retryDelayMs,
      progressIntervalMs: config.jobs.progressIntervalMs,
      downloadConcurrency: config.jobs.downloadConcurrency,
      directOutputBlocks: config.jobs.directOutputBlocks,
    },
    now: () => new Date(),
    log: hostLog,
  });
  return activities;
}
