import { createServer } from 'node:net';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Caller } from '../../../lib/auth/caller';
import { ApiError } from '../../../lib/http/apiError';
import { createJob, type CreateJobDeps } from '../../../lib/jobs/createJob';
import type { JobStore } from '../../../lib/jobs/jobStore';
import { startJobOrchestration } from '../../../lib/jobs/startJob';
import type { JobRecord } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';
import { failure } from '../../support/failure';
import { invokeDeps } from './invokeDeps';

// An invoke whose job is recorded but whose orchestration cannot be started (the durable client
// cannot reach the host). Real Azurite for the registry, jobs, claims and output check; the real
// durable-functions client, aimed at a port nobody listens on.

const EP = 'startfail';
const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
let deps: Omit<CreateJobDeps, 'startOrchestration'>;
let jobs: JobStore;

/** A port that refuses connections: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The durable client the Functions host would hand the invoke route, its host unreachable. */
function unreachableDurableClient(port: number): df.DurableClient {
  const input = df.input.durableClient();
  const context = new InvocationContext({ options: { extraInputs: [input] } });
  const base = `http://127.0.0.1:${port}/runtime/webhooks/durabletask`;
  context.extraInputs.set(input, {
    taskHubName: 'StartFailHub',
    creationUrls: { createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=x` },
    managementUrls: { statusQueryGetUri: `${base}/instances/INSTANCEID?code=x` },
    baseUrl: base,
    requiredQueryStringParameters: 'code=x',
    rpcBaseUrl: `http://127.0.0.1:${port}/durabletask/`,
  });
  return df.getClient(context);
}

const body = (output: string) => ({
  properties: {
    InputData: { heart: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/heart/' } },
    OutputData: { score: { JobOutputType: 'UriFile', Uri: `azureml://datastores/workspaceblobstore/paths/startfail/${output}` } },
  },
});

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  ({ deps, jobs } = await invokeDeps(clients, 'libstartfail', EP, clients.table('libstartfailjobs'), alice));
});

describe('an invoke whose orchestration cannot be started', () => {
  it('answers 503 JobStartFailed, leaves no NotStarted job, and a retry with the same request id makes a job that starts', async () => {
    const client = unreachableDurableClient(await deadPort());
    const request = { endpointName: EP, body: body(`same-id-${Date.now()}.csv`), requestId: `start-fail-${Date.now()}`, caller: alice };
    const err = await failure(createJob({ ...deps, startOrchestration: (job) => startJobOrchestration(client, job) }, request));
    expect(err).toBeInstanceOf(ApiError);
    expect([err.status, err.code]).toEqual([503, 'JobStartFailed']);
    expect(err.message).toMatch(/could not be started/);
    expect(Number((err as ApiError).headers?.['Retry-After'])).toBeGreaterThan(0);

    // The job is listed as Failed with the reason, not NotStarted for ever.
    const listed = (await jobs.list(EP, { top: 100 })).items;
    const failed = listed.filter((j) => j.status === 'NotStarted');
    expect(failed, JSON.stringify(listed.map((j) => [j.jobId, j.status]))).toHaveLength(0);
    const recorded = listed.find((j) => j.error?.code === 'JobStartFailed');
    expect(recorded?.status).toBe('Failed');
    expect(recorded?.endTime).toBeDefined();

    // The retry (the host is back) gets a new job, and starts it; the output path is free again.
    const started: JobRecord[] = [];
    const retried = await createJob({ ...deps, startOrchestration: async (job) => void started.push(job) }, request);
    expect(retried.created).toBe(true);
    expect(retried.job.jobId).not.toBe(recorded!.jobId);
    expect(started.map((j) => j.jobId)).toEqual([retried.job.jobId]);
  });

  it('without a request id: the output claimed by the failed job is released, so an invoke to the same output is accepted', async () => {
    const client = unreachableDurableClient(await deadPort());
    const request = { endpointName: EP, body: body(`no-id-${Date.now()}.csv`), caller: alice };
    const err = await failure(createJob({ ...deps, startOrchestration: (job) => startJobOrchestration(client, job) }, request));
    expect([err.status, err.code]).toEqual([503, 'JobStartFailed']);
    const again = await createJob({ ...deps, startOrchestration: async () => undefined }, request);
    expect(again.created).toBe(true);
    expect((await jobs.get(EP, again.job.jobId))?.status).toBe('NotStarted');
  });
});

describe('an invoke whose mini-batch timeout the host would cut short', () => {
  it('is refused with a 400 naming both values, before anything is recorded', async () => {
    const functionTimeout = { ms: 60_000, text: '00:01:00', source: 'host.json' };
    const started: JobRecord[] = [];
    const request = { endpointName: EP, body: body(`timeout-${Date.now()}.csv`), caller: alice };
    const longer = { ...request, body: { properties: { ...request.body.properties, retrySettings: { timeout: 'PT5M' } } } };
    const before = (await jobs.list(EP, { top: 100 })).items.length;
    const err = await failure(createJob({ ...deps, functionTimeout, startOrchestration: async (job) => void started.push(job) }, longer));
    expect([err.status, err.code, err.target]).toEqual([400, 'ValidationError', 'properties.retrySettings.timeout']);
    expect(err.message).toMatch(/PT5M.*functionTimeout of 00:01:00 \(host\.json\)/);
    expect((await jobs.list(EP, { top: 100 })).items.length).toBe(before);
    // The deployment's own PT30S fits.
    expect((await createJob({ ...deps, functionTimeout, startOrchestration: async (job) => void started.push(job) }, request)).created).toBe(true);
  });
});
