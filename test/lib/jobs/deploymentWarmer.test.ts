import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { scorerSpecOf } from '../../../lib/jobs/activities/scorerSpec';
import { createJob } from '../../../lib/jobs/createJob';
import { DeploymentWarmer, type DeploymentWarmerDeps } from '../../../lib/jobs/deploymentWarmer';
import { IdempotencyStore } from '../../../lib/jobs/idempotency';
import { OutputClaims } from '../../../lib/jobs/outputClaims';
import type { DataDeps } from '../../../lib/inputs/resolveInput';
import type { WarmOutcome } from '../../../lib/scoring/runtime/scorerPool';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { storageClients } from '../../../lib/storage/clients';
import { realActivityDeps } from './realDeps';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/devhost';

// Warming a deployment ahead of its first job, with every part real: the registry and the asset
// cache on Azurite, the scorer pool's worker threads, ONNX Runtime loading the Iris model.

const PREFIX = 'libwarmer';
const caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
const ds = 'azureml://datastores/workspaceblobstore/paths';
let scorer: ScorerPool;
let deps: JobActivityDeps;
let data: DataDeps;
let workspace: ContainerClient;
const logs: string[] = [];

const warmerDeps = (limit = 2): DeploymentWarmerDeps => ({
  resolveDeployment: (endpoint, deployment) => data.registry.resolveDeployment(endpoint, deployment),
  listEndpoints: () => data.registry.endpoints.list(),
  localModel: deps.localModel,
  localCode: deps.localCode,
  scorer,
  log: (level, message) => logs.push(`${level}: ${message}`),
  limit,
});

/** An endpoint whose default deployment `blue` runs `model` with two workers. */
async function deploy(endpoint: string, model: string): Promise<void> {
  await data.registry.endpoints.put(endpoint, { properties: {} }, caller);
  await data.registry.deployments.put(
    endpoint,
    'blue',
    { properties: { model: `azureml:${model}:1`, miniBatchSize: 1, maxConcurrencyPerInstance: 2, environmentVariables: { MODE: endpoint }, loggingLevel: 'Debug' } },
    caller,
  );
  await data.registry.endpoints.put(endpoint, { properties: { defaults: { deploymentName: 'blue' } } }, caller);
}

beforeAll(async () => {
  scorer = new ScorerPool({ maxWorkers: 2 });
  ({ deps, data, workspace } = await realActivityDeps(PREFIX, scorer));
  await data.registry.models.put('onnx', '1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/onnx` } }, caller);
  // A model ONNX Runtime refuses: registered fine, unusable.
  await workspace.getBlockBlobClient('broken/MLmodel').upload('flavors: {}\n', 12);
  await workspace.getBlockBlobClient('broken/model.onnx').upload('not an onnx model', 17);
  await data.registry.models.put('broken', '1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/broken` } }, caller);
});
afterAll(() => scorer?.close());

describe('DeploymentWarmer', () => {
  it("leaves the pool a job of the deployment uses with its workers started and the model loaded; the job's prepare reuses it", async () => {
    await deploy('warm', 'onnx');
    await new DeploymentWarmer(warmerDeps()).warm('warm', 'blue');
    expect(logs.at(-1)).toMatch(/^info: Scoring workers of deployment 'blue' of batch endpoint 'warm' warmed ahead of its first job: 2 worker\(s\) with the model loaded/);

    // A job as the invoke records it (settings from the deployment), prepared by the real activity.
    const jobsTable = storageClients({ connectionString: inject('storageConnectionString') }).table(`${PREFIX}jobs`);
    const { job } = await createJob(
      { registry: data.registry, jobs: deps.jobs, idempotency: new IdempotencyStore(jobsTable), outputClaims: new OutputClaims(jobsTable), data, startOrchestration: async () => {}, now: () => new Date() },
      { endpointName: 'warm', body: { properties: { inputData: { heart: { jobInputType: 'UriFolder', uri: `${ds}/heart/` } } } }, caller },
    );
    const spec = await scorerSpecOf(deps, job.spec);
    expect(scorer.workersFor(spec)).toBe(2);
    expect(scorer.poolCount).toBe(1);

    let prepareWarm: Promise<WarmOutcome> | undefined;
    const activities = createJobActivities({ ...deps, scorer: { run: (...a) => scorer.run(...a), warm: (...a) => (prepareWarm = scorer.warm(...a)) } });
    const prepared = await activities.prepare({ endpointName: 'warm', jobId: job.jobId });
    expect(prepared).toMatchObject({ ok: true });
    expect(await prepareWarm).toEqual({ ready: 2, errors: [] });
    // The same pool: no second pool, no more threads.
    expect(scorer.poolCount).toBe(1);
    expect(scorer.workersFor(spec)).toBe(2);
    const scored = await activities.scoreMiniBatch({ endpointName: 'warm', jobId: job.jobId, index: 0, chunkSize: prepared.ok ? prepared.plan.chunkSize : 0 });
    expect(scored).toMatchObject({ succeededItems: 1, failedItems: 0 });
  });

  it('never throws for a deployment that cannot be warmed: it logs why, and keeps no failure for the job', async () => {
    await deploy('broken', 'broken');
    const warmer = new DeploymentWarmer(warmerDeps());
    await expect(warmer.warm('broken', 'blue')).resolves.toBeUndefined();
    expect(logs.at(-1)).toMatch(/^warning: Scoring workers of deployment 'blue' of batch endpoint 'broken' could not be warmed \(0 ready\); its jobs will report this: the model cannot be used by the no-code scorer/);
    await expect(warmer.warm('nowhere', 'blue')).resolves.toBeUndefined();
    expect(logs.at(-1)).toMatch(/^warning: Scoring workers of deployment 'blue' of batch endpoint 'nowhere' could not be warmed; its jobs will report this: Batch endpoint 'nowhere'/);
  });

  it("a scoring script deployment: model and code downloaded ahead, no worker started, the user's init() not run (it gets a job's params)", async () => {
    const script = readFileSync(join(repoRoot, 'test', 'fixtures', 'scripts', 'init-throws', 'score.js'));
    await workspace.getBlockBlobClient('code/init-throws/score.js').uploadData(script);
    await data.registry.codes.put('init-throws', '1', { properties: { codeUri: `${ds}/code/init-throws` } }, caller);
    await data.registry.endpoints.put('script', { properties: {} }, caller);
    await data.registry.deployments.put('script', 'blue', { properties: { model: 'azureml:onnx:1', codeConfiguration: { codeId: 'azureml:init-throws:1', scoringScript: 'score.js' } } }, caller);
    const pools = scorer.poolCount;
    await new DeploymentWarmer(warmerDeps()).warm('script', 'blue');
    expect(logs.at(-1)).toMatch(/^info: Model and code of deployment 'blue' of batch endpoint 'script' downloaded ahead of its first job in \d+ ms \(its scoring script starts with the job\)$/);
    expect(scorer.poolCount).toBe(pools);
    // In the asset cache (the same promise the job's prepare gets).
    const codeDir = await deps.localCode({ code: { name: 'init-throws', version: '1', codeUri: `${ds}/code/init-throws` } });
    expect(readFileSync(join(codeDir!, 'score.js'))).toEqual(script);
  });

  it('warms at most `limit` deployments at once, none with 0, and at start the defaults of the endpoints last changed', async () => {
    const before = scorer.poolCount;
    await new DeploymentWarmer(warmerDeps(0)).warm('warm', 'blue');
    await new DeploymentWarmer(warmerDeps(0)).warmDefaults();
    expect(scorer.poolCount).toBe(before);

    const one = new DeploymentWarmer(warmerDeps(1));
    const count = logs.length;
    await Promise.all([one.warm('warm', 'blue'), one.warm('broken', 'blue')]);
    expect(logs.slice(count).map((l) => l.split(':')[0])).toEqual(['debug', 'info']);
    expect(logs.slice(count)[0]).toMatch(/deployment 'blue' of batch endpoint 'broken' not warmed ahead: 1 deployment\(s\) are warming already/);

    // Asked again while it warms (a second PUT): warmed once more afterwards, not twice at once.
    const again = logs.length;
    await Promise.all([one.warm('warm', 'blue'), one.warm('warm', 'blue'), one.warm('warm', 'blue')]);
    expect(logs.slice(again).map((l) => l.split(':')[0])).toEqual(['info', 'info']);

    // 'broken' was changed last: with limit 1 it is the one warmed at start.
    const start = logs.length;
    await new DeploymentWarmer(warmerDeps(1)).warmDefaults();
    expect(logs.slice(start)).toHaveLength(1);
    expect(logs.slice(start)[0]).toMatch(/^warning: Scoring workers of deployment 'blue' of batch endpoint 'broken' could not be warmed/);
  });
});
