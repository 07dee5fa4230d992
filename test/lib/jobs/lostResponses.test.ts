import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Caller } from '../../../lib/auth/caller';
import { createJob, type CreateJobDeps } from '../../../lib/jobs/createJob';
import type { JobStore } from '../../../lib/jobs/jobStore';
import type { JobRecord } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';
import { LostResponseProxy } from '../../support/lostResponse';
import { invokeDeps } from './invokeDeps';

// Storage calls fail transiently, also after the service did the work: a connection reset on the
// way back makes the storage SDK send the same insert again, which then finds its own row (409).
// An invoke must take that row for its own, not for someone else's. Real Azurite; the jobs table
// (job rows, request-id claims, output claims) through an HTTP proxy that loses one answer.

const EP = 'lostanswers';
const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
let proxy: LostResponseProxy;
let deps: Omit<CreateJobDeps, 'startOrchestration'>;
let jobs: JobStore;

beforeAll(async () => {
  const connectionString = inject('storageConnectionString');
  const tablePort = Number(/TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(connectionString)![1]);
  proxy = await LostResponseProxy.start(tablePort);
  const table = storageClients({ connectionString: connectionString.replace(`127.0.0.1:${tablePort}`, `127.0.0.1:${proxy.port}`) }).table('liblostjobs');
  ({ deps, jobs } = await invokeDeps(storageClients({ connectionString }), 'liblost', EP, table, alice));
});
afterAll(() => proxy.stop());

const body = (output: string) => ({
  properties: {
    InputData: { heart: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/heart/' } },
    OutputData: { score: { JobOutputType: 'UriFile', Uri: `azureml://datastores/workspaceblobstore/paths/lost/${output}` } },
  },
});

/** An insert into the jobs table (the SDK's createEntity) whose body has `column`. */
const insertWith = (column: string) => (r: { method: string; url: string; body: string }) => r.method === 'POST' && r.url.includes('liblostjobs') && r.body.includes(`"${column}"`);

describe('an invoke whose insert was done but its answer lost', () => {
  it('of the job row: the job is created and started, not refused as a conflict and left NotStarted', async () => {
    const started: JobRecord[] = [];
    proxy.loseNext(insertWith('Spec'));
    const outcome = await createJob({ ...deps, startOrchestration: async (job) => void started.push(job) }, { endpointName: EP, body: body(`row-${Date.now()}.csv`), caller: alice }).catch((err: unknown) => err);
    expect(proxy.lost).toHaveLength(1);
    // Without the fix: ApiError 409 "Job '...' already exists." and a NotStarted job nothing starts.
    expect(outcome).toMatchObject({ created: true });
    const { job } = outcome as { job: JobRecord };
    expect(started.map((j) => j.jobId)).toEqual([job.jobId]);
    expect((await jobs.list(EP, { top: 100 })).items.filter((j) => j.status === 'NotStarted' && !started.some((s) => s.jobId === j.jobId))).toEqual([]);
  });

  it('of the request-id claim: the invoke goes on with its own claim instead of answering InvokeInProgress', async () => {
    const started: JobRecord[] = [];
    proxy.loseNext(insertWith('RequestHash'));
    const request = { endpointName: EP, body: body(`claim-${Date.now()}.csv`), requestId: `lost-claim-${Date.now()}`, caller: alice };
    const outcome = await createJob({ ...deps, startOrchestration: async (job) => void started.push(job) }, request).catch((err: unknown) => err);
    expect(proxy.lost.at(-1)?.body).toContain('RequestHash');
    // Without the fix: ApiError 409 InvokeInProgress, for a claim no invoke goes on with (until it is a minute old).
    expect(outcome).toMatchObject({ created: true });
    const { job } = outcome as { job: JobRecord };
    expect(started.map((j) => j.jobId)).toEqual([job.jobId]);
    // A retry with the same id gets the same job.
    expect((await createJob({ ...deps, startOrchestration: async () => undefined }, request)).job.jobId).toBe(job.jobId);
  });
});
