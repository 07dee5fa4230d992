import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { JobStore } from '../../lib/jobs/jobStore';
import { jobRecord } from '../lib/jobs/fixtures';
import { call, useTestStorage } from './management/call';

// GET .../jobs/{id}/logs is paged like the other lists ($top, nextLink with $skiptoken): a job
// writes a log per mini-batch, so an unpaged list grew with the job. Real Azurite, the route handler.

const EP = 'logspaged';
const jobId = 'batchjob-000000002-0000beef';
let jobLogs: typeof import('../../functions/jobs/jobLogs');

beforeAll(async () => {
  useTestStorage('logspagedregistry', { JOBS_TABLE: 'logspagedjobs', WORKSPACE_BLOB_CONTAINER: 'logspagedws' });
  const connection = inject('storageConnectionString');
  const table = TableClient.fromConnectionString(connection, 'logspagedjobs', { allowInsecureConnection: true });
  await new JobStore(table).create(jobRecord(EP, jobId, 'Completed'));
  const ws = BlobServiceClient.fromConnectionString(connection).getContainerClient('logspagedws');
  await ws.createIfNotExists();
  const names = ['job_progress_overview.txt', 'user/error.txt', ...Array.from({ length: 5 }, (_, i) => `user/stdout/mini-batch-${i}.txt`)];
  for (const name of names) await ws.getBlockBlobClient(`azureml/${jobId}/logs/${name}`).upload('x\n', 2);
  jobLogs = await import('../../functions/jobs/jobLogs');
});

const list = (query = '') =>
  call(jobLogs.jobLogs, { method: 'GET', path: `batchEndpoints/${EP}/jobs/${jobId}/logs${query}`, params: { endpoint: EP, jobId } });

describe('the job logs list', () => {
  it('pages with $top and nextLink, every file once, in name order', async () => {
    const seen: string[] = [];
    let query = '?$top=3';
    let pages = 0;
    for (;;) {
      const res = await list(query);
      expect(res.status).toBe(200);
      expect(res.body.value.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.value.map((l: { name: string }) => l.name));
      pages++;
      if (!res.body.nextLink) break;
      const next = new URL(res.body.nextLink);
      expect(next.pathname).toBe(`/api/batchEndpoints/${EP}/jobs/${jobId}/logs`);
      expect(next.searchParams.get('$top')).toBe('3');
      query = next.search;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['job_progress_overview.txt', 'user/error.txt', ...Array.from({ length: 5 }, (_, i) => `user/stdout/mini-batch-${i}.txt`)]);
  });

  it('without $top, one page holds them all and has no nextLink', async () => {
    const res = await list();
    expect(res.body.value).toHaveLength(7);
    expect(res.body.nextLink).toBeUndefined();
  });

  it('a bad $top is a 400 that names it', async () => {
    for (const q of ['?$top=0', '?$top=abc', '?$top=5000']) {
      const res = await list(q);
      expect([res.status, res.body.error.code, res.body.error.target]).toEqual([400, 'InvalidQueryParameter', '$top']);
    }
  });
});
