import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { JobStore } from '../../lib/jobs/jobStore';
import { storageClients } from '../../lib/storage/clients';
import { isStorageUnavailable, StorageDeadlineError, withStorageDeadline } from '../../lib/storage/deadline';
import { jobRecord } from '../lib/jobs/fixtures';
import { StorageProxy } from '../support/storageProxy';
import { call } from './management/call';

// Storage outages on request paths (issue 15 item 3): a frozen or stopped storage service answers
// 503 + Retry-After with the error shape, never a 500 or a hang. The app's storage goes through
// proxies the test turns off; everything else is real (Azurite, the route handlers).

// Long enough for a cold first call on a busy machine (it creates the tables); the frozen cases
// still prove the 503 comes from the deadline: the service answered nothing meanwhile.
const DEADLINE_MS = 5000;
let tableProxy: StorageProxy;
let blobProxy: StorageProxy;
let jobsRoutes: typeof import('../../functions/jobs/jobs');
let endpoints: typeof import('../../functions/management/endpoints');
const jobId = 'batchjob-000000001-0000abcd';

beforeAll(async () => {
  const real = inject('storageConnectionString');
  const port = (service: string) => Number(new RegExp(`${service}Endpoint=http://127\\.0\\.0\\.1:(\\d+)/`).exec(real)![1]);
  tableProxy = await StorageProxy.start(port('Table'));
  blobProxy = await StorageProxy.start(port('Blob'));
  const proxied = real
    .replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+\//, `TableEndpoint=http://127.0.0.1:${tableProxy.port}/`)
    .replace(/BlobEndpoint=http:\/\/127\.0\.0\.1:\d+\//, `BlobEndpoint=http://127.0.0.1:${blobProxy.port}/`);
  Object.assign(process.env, {
    AzureWebJobsStorage: proxied,
    REGISTRY_TABLE: 'outageregistry',
    JOBS_TABLE: 'outagejobs',
    AUTH_DISABLED: 'true',
    STORAGE_REQUEST_DEADLINE_MS: String(DEADLINE_MS),
  });
  endpoints = await import('../../functions/management/endpoints');
  jobsRoutes = await import('../../functions/jobs/jobs');
  const created = await call(endpoints.putEndpoint, { method: 'PUT', path: 'batchEndpoints/outage', params: { endpoint: 'outage' }, body: { properties: {} } });
  expect(created.status).toBe(201);
  const table = TableClient.fromConnectionString(real, 'outagejobs', { allowInsecureConnection: true });
  await new JobStore(table).create(jobRecord('outage', jobId, 'Running'));
});
afterAll(async () => {
  await tableProxy?.stop();
  await blobProxy?.stop();
});

const getJob = () => call(jobsRoutes.getJob, { method: 'GET', path: `batchEndpoints/outage/jobs/${jobId}`, params: { endpoint: 'outage', jobId } });
const listJobs = () => call(jobsRoutes.listJobs, { method: 'GET', path: 'batchEndpoints/outage/jobs', params: { endpoint: 'outage' } });
const getEndpoint = () => call(endpoints.getEndpoint, { method: 'GET', path: 'batchEndpoints/outage', params: { endpoint: 'outage' } });

function expectUnavailable(res: { status: number; body: any; headers: Headers }): void {
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('ServiceUnavailable');
  expect(res.body.error.message).toMatch(/storage/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

describe('storage outages during GETs', () => {
  it('a frozen storage service (accepts, never answers): 503 with Retry-After while the service has still answered nothing', async () => {
    expect((await listJobs()).status).toBe(200);
    tableProxy.mode = 'frozen';
    blobProxy.mode = 'frozen';
    try {
      for (const request of [getJob, listJobs, getEndpoint]) {
        const before = tableProxy.frozenBytes;
        const res = await request();
        expectUnavailable(res);
        // The request reached the service and nothing came back: the 503 is the app's own deadline.
        expect(tableProxy.frozenBytes).toBeGreaterThan(before);
        expect(tableProxy.answeredWhileFrozen).toBe(0);
      }
    } finally {
      tableProxy.mode = 'up';
      blobProxy.mode = 'up';
    }
    expect((await listJobs()).status).toBe(200);
  });

  it('a stopped storage service (connections reset): 503 with Retry-After, then answers again once it is back', async () => {
    tableProxy.mode = 'down';
    try {
      expectUnavailable(await getJob());
      expectUnavailable(await listJobs());
    } finally {
      tableProxy.mode = 'up';
    }
    const back = await listJobs();
    expect(back.status).toBe(200);
    expect(back.body.value.map((j: { name: string }) => j.name)).toContain(jobId);
  });

  it('keeps bounding a request whose deadline scope outlives another that ended', async () => {
    const blob = storageClients({ connectionString: process.env.AzureWebJobsStorage! }).blob.getContainerClient('workspaceblobstore');
    let release!: () => void;
    const started = new Promise<void>((resolve) => (release = resolve));
    // A long request: its scope stays open while a short one opens and closes.
    const long = withStorageDeadline(DEADLINE_MS, async () => {
      await started;
      blobProxy.mode = 'frozen';
      return blob.exists();
    }).catch((e: unknown) => e);
    await withStorageDeadline(DEADLINE_MS, () => blob.exists());
    release();
    try {
      expect(await long).toBeInstanceOf(StorageDeadlineError);
    } finally {
      blobProxy.mode = 'up';
    }
    // Outside any scope nothing is bounded: the call waits for the service (here answering again).
    expect(await blob.exists()).toBeTypeOf('boolean');
  });

  it('bounds blob calls the same way (the output route, output checks at invoke)', async () => {
    const blob = storageClients({ connectionString: process.env.AzureWebJobsStorage! }).blob.getContainerClient('workspaceblobstore');
    expect(await withStorageDeadline(DEADLINE_MS, () => blob.exists())).toBeTypeOf('boolean');
    blobProxy.mode = 'frozen';
    try {
      const before = blobProxy.frozenBytes;
      const err = await withStorageDeadline(DEADLINE_MS, () => blob.exists()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageDeadlineError);
      expect(isStorageUnavailable(err)).toBe(true);
      expect(blobProxy.frozenBytes).toBeGreaterThan(before);
    } finally {
      blobProxy.mode = 'up';
    }
  });
});
