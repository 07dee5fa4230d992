import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { ContainerClient } from '@azure/storage-blob';
import { JOB_FILE_MAX_BYTES, startDropJob, DROP_DATASTORES, type DropDeps } from '../../../lib/drops/startDropJob';
import { writeResultBlob } from '../../../lib/drops/writeResult';
import type { CreateJobRequest } from '../../../lib/jobs/createJob';
import { storageClients } from '../../../lib/storage/clients';

// The drop's _job.json is read by the host: one far too big for settings is refused with a clear
// _result.json before it is downloaded. Real Azurite inbox and outbox.

let inbox: ContainerClient;
let outbox: ContainerClient;
const invokes: CreateJobRequest[] = [];
let deps: DropDeps;

beforeAll(async () => {
  const clients = storageClients({ connectionString: inject('storageConnectionString') });
  inbox = clients.blob.getContainerClient('libdropinbox');
  outbox = clients.blob.getContainerClient('libdropoutbox');
  await inbox.createIfNotExists();
  deps = {
    inbox,
    outbox,
    datastores: DROP_DATASTORES,
    createJob: async (request) => {
      invokes.push(request);
      throw new Error('no job expected');
    },
    jobOfRequest: async () => undefined,
    writeResult: writeResultBlob,
    log: () => undefined,
    now: () => new Date(),
  };
});

describe('_job.json size', () => {
  it('a job file past the limit is refused as JobFileTooLarge in _result.json, and no job is made', async () => {
    const drop = `iris/huge-${Date.now()}`;
    // Valid JSON, just large: before the limit it was read whole and became the invoke body.
    const text = JSON.stringify({ miniBatchSize: 2, description: 'x'.repeat(300 * 1024) });
    await inbox.getBlockBlobClient(`${drop}/_job.json`).upload(text, text.length);
    await inbox.getBlockBlobClient(`${drop}/a.csv`).upload('a\n1\n', 4);
    await inbox.getBlockBlobClient(`${drop}/_SUCCESS`).upload('', 0);
    const outcome = await startDropJob(deps, `${drop}/_SUCCESS`);
    expect(outcome.kind).toBe('refused');
    expect(invokes).toHaveLength(0);
    const result = JSON.parse((await outbox.getBlobClient(`${drop}/_result.json`).downloadToBuffer()).toString('utf8'));
    expect(result).toMatchObject({ status: 'Failed', jobId: null, error: { code: 'JobFileTooLarge', target: '_job.json' } });
    expect(result.error.message).toContain(`at most ${JOB_FILE_MAX_BYTES}`);
  });

  it('a job file within the limit is read and used', async () => {
    const drop = `iris/small-${Date.now()}`;
    const text = JSON.stringify({ miniBatchSize: 2 });
    await inbox.getBlockBlobClient(`${drop}/_job.json`).upload(text, text.length);
    await startDropJob(deps, `${drop}/_SUCCESS`).catch(() => undefined);
    expect(invokes.at(-1)?.body).toMatchObject({ properties: { miniBatchSize: 2 } });
  });
});

describe('_result.json written again', () => {
  // A Logic App's blob trigger (samples/logic-app/on-drop-result: "added or modified") runs again
  // for every write: a repeated delivery of a refused drop, or finish run again, must not rewrite it.
  it('the same refusal delivered again leaves _result.json as it was; another reason replaces it', async () => {
    const drop = `iris/refused-twice-${Date.now()}`;
    await inbox.getBlockBlobClient(`${drop}/_job.json`).upload('{ "miniBatchSize": ', 19);
    await inbox.getBlockBlobClient(`${drop}/_SUCCESS`).upload('', 0);
    const result = outbox.getBlobClient(`${drop}/_result.json`);
    expect((await startDropJob(deps, `${drop}/_SUCCESS`, '2026-12-02T10:00:00.000Z')).kind).toBe('refused');
    const first = await result.getProperties();
    await new Promise((r) => setTimeout(r, 20)); // another `ended` time
    expect((await startDropJob(deps, `${drop}/_SUCCESS`, '2026-12-02T10:00:00.000Z')).kind).toBe('refused');
    expect((await result.getProperties()).etag).toBe(first.etag);

    await inbox.getBlockBlobClient(`${drop}/_job.json`).upload('[]', 2);
    await startDropJob(deps, `${drop}/_SUCCESS`, '2026-12-02T10:00:00.000Z');
    const changed = JSON.parse((await result.downloadToBuffer()).toString('utf8'));
    expect(changed.error.message).toMatch(/cannot be used/);
  });
});
