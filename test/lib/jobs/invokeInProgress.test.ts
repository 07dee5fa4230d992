import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Caller } from '../../../lib/auth/caller';
import { createJob, type CreateJobDeps } from '../../../lib/jobs/createJob';
import { JobStore } from '../../../lib/jobs/jobStore';
import type { JobRecord } from '../../../lib/jobs/types';
import { storageClients } from '../../../lib/storage/clients';
import { invokeDeps } from './invokeDeps';

// A client retries a POST whose answer was lost while the first request still runs (Logic Apps
// retry on a connection failure, and take a 409 for a failure: only 408, 429 and 5xx are retried).
// The retry finds the request id claimed and the job not recorded yet: it waits for that job
// rather than answering 409 InvokeInProgress for a job about to exist. Real Azurite.

const EP = 'inprogress';
const alice: Caller = { oid: 'oid-a', tid: 'tid', name: 'alice' };
let deps: Omit<CreateJobDeps, 'startOrchestration'>;
let table: ReturnType<ReturnType<typeof storageClients>['table']>;

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  table = clients.table('libinprogressjobs');
  ({ deps } = await invokeDeps(clients, 'libinprog', EP, table, alice));
});

const body = {
  properties: {
    InputData: { heart: { JobInputType: 'UriFolder', Uri: 'azureml://datastores/workspaceblobstore/paths/heart/' } },
    OutputData: { score: { JobOutputType: 'UriFile', Uri: `azureml://datastores/workspaceblobstore/paths/inprogress/${Date.now()}.csv` } },
  },
};

describe('an invoke that finds its request id claimed and the job not recorded yet', () => {
  it('answers with the job once the first invoke records it, not 409 InvokeInProgress', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let firstId: string | undefined;
    // The first invoke is held between its claim and its job's row...
    class HeldJobs extends JobStore {
      override async create(job: JobRecord): Promise<void> {
        firstId = job.jobId;
        await gate;
        return super.create(job);
      }
    }
    // ...until the second one has looked for the job and not found it.
    class WatchingJobs extends JobStore {
      override async get(endpoint: string, jobId: string): Promise<JobRecord | undefined> {
        const found = await super.get(endpoint, jobId);
        if (!found && jobId === firstId) openGate();
        return found;
      }
    }
    const request = { endpointName: EP, body, requestId: `retried-${Date.now()}`, caller: alice };
    const started: string[] = [];
    const startOrchestration = async (job: JobRecord) => void started.push(job.jobId);
    const first = createJob({ ...deps, jobs: new HeldJobs(table), startOrchestration }, request);
    while (!firstId) await new Promise((r) => setTimeout(r, 10));
    const second = await createJob({ ...deps, jobs: new WatchingJobs(table), startOrchestration }, request).catch((err: unknown) => err);
    // Without the fix: ApiError 409 InvokeInProgress.
    expect(second).toMatchObject({ created: false, job: { jobId: firstId } });
    expect(await first).toMatchObject({ created: true, job: { jobId: firstId } });
    // Both may start it (the second finds it NotStarted): a start of a started orchestration is a no-op (lib/jobs/startJob.ts).
    expect(new Set(started)).toEqual(new Set([firstId]));
  });
});
