import { inject } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { LocalAssets } from '../../../lib/assets/localAssets';
import { listFirstInputFiles, listInputFiles } from '../../../lib/inputs/listFiles';
import type { DataDeps } from '../../../lib/inputs/resolveInput';
import { downloadInputFile } from '../../../lib/inputs/download';
import type { JobActivities, JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import { jobRecord } from './fixtures';
import { JobStore } from '../../../lib/jobs/jobStore';
import { MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { OutputClaims } from '../../../lib/jobs/outputClaims';
import { OutputParts } from '../../../lib/output/parts';
import { PlanManifest } from '../../../lib/jobs/planManifest';
import { openRegistry } from '../../../lib/registry/open';
import type { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { storageClients } from '../../../lib/storage/clients';
import { repoRoot } from '../../support/devhost';

/**
 * The job activities' dependencies, every one real: Azurite (tables and containers named from
 * `prefix`), the scorer pool given, the Iris model in `onnx/` and three one-row files in `heart/`
 * of the workspace container. `jobs` may be a JobStore subclass (to act between two of its calls);
 * `tuning` overrides the defaults (e.g. small chunks and few direct blocks to reach the parts).
 */
export async function realActivityDeps(
  prefix: string,
  scorer: ScorerPool,
  jobs?: (table: ReturnType<ReturnType<typeof storageClients>['table']>) => JobStore,
  tuning?: Partial<JobActivityDeps['tuning']>,
): Promise<{ deps: JobActivityDeps; workspace: ContainerClient; scratch: ContainerClient; data: DataDeps }> {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  const workspaceName = `${prefix}ws`;
  const dataDeps: DataDeps = { registry: openRegistry(clients, { table: `${prefix}reg`, workspaceBlobContainer: workspaceName }), blob: clients.blob };
  const workspace = clients.blob.getContainerClient(workspaceName);
  const scratch = clients.blob.getContainerClient(`${prefix}scratch`);
  await workspace.createIfNotExists();
  const model = join(repoRoot, 'samples', 'iris', 'model');
  for (const name of ['MLmodel', 'model.onnx']) await workspace.getBlockBlobClient(`onnx/${name}`).uploadData(readFileSync(join(model, name)));
  for (let i = 0; i < 3; i++) await workspace.getBlockBlobClient(`heart/f${i}.csv`).upload(`sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.${i + 1}\n`, 59);
  const work = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const assets = new LocalAssets(dataDeps, join(work, 'assets'));
  const place = (path: string) => workspace.getBlockBlobClient(path);
  const jobsTable = clients.table(`${prefix}jobs`);
  const deps: JobActivityDeps = {
    jobs: jobs ? jobs(jobsTable) : new JobStore(jobsTable),
    miniBatches: new MiniBatchStore(clients.table(`${prefix}mb`)),
    outputClaims: new OutputClaims(jobsTable),
    plans: new PlanManifest(scratch),
    parts: new OutputParts(scratch),
    listInputFiles: (input) => listInputFiles(input, dataDeps),
    listFirstInputFiles: (input, enough) => listFirstInputFiles(input, dataDeps, enough),
    downloadInputFile: (file, dir) => downloadInputFile(file, dir, dataDeps),
    outputBlob: async (location) => place(location.path),
    writeLog: async (jobId, name, text) => {
      await place(`azureml/${jobId}/logs/${name}`).upload(text, Buffer.byteLength(text));
      return `azureml://datastores/workspaceblobstore/paths/azureml/${jobId}/logs/`;
    },
    localModel: (spec) => assets.model(spec),
    localCode: (spec) => assets.code(spec),
    scorer,
    workDir: join(work, 'jobs'),
    tuning: { chunkSize: 10, retryDelayMs: 10, progressIntervalMs: 100, downloadConcurrency: 2, directOutputBlocks: 100, ...tuning },
    now: () => new Date(),
  };
  return { deps, workspace, scratch, data: dataDeps };
}

/** A job over the three files of `heart/`, one file per mini-batch, recorded in `jobs` (not prepared). */
export async function oneFileJob(jobs: Pick<JobStore, 'create'>) {
  const record = jobRecord('ep', newJobId());
  record.spec.settings = { ...record.spec.settings, miniBatchSize: 1 };
  await jobs.create(record);
  return { record, ref: { endpointName: 'ep', jobId: record.jobId } };
}

/** The same job, prepared by `activities` (throws when prepare refuses it). */
export async function preparedOneFileJob(jobs: Pick<JobStore, 'create'>, activities: Pick<JobActivities, 'prepare'>) {
  const job = await oneFileJob(jobs);
  const prepared = await activities.prepare(job.ref);
  if (!prepared.ok) throw new Error('prepare failed');
  return { ...job, prepared, plan: prepared.plan };
}

/** What is left of a job in the scratch container (its plan and parts): nothing once it has ended and been cleaned up. */
export async function scratchLeftOver(scratch: ContainerClient, jobId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of scratch.listBlobsFlat({ prefix: `${jobId}/` })) names.push(blob.name);
  return names;
}
