import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot, spawnHost, type SpawnedHost } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'triggers');
const POLL_MS = 150;
const suffix = randomBytes(4).toString('hex');
const names = {
  container: `trig-${suffix}`,
  queue: `good-${suffix}`,
  badQueue: `bad-${suffix}`,
  slowQueue: `slow-${suffix}`,
  hostId: `trig-${suffix}`,
};

let out: string;
let host: SpawnedHost | undefined;
let container: ContainerClient;
let queues: QueueServiceClient;

type Row = Record<string, any>;

function records(kind: string): Row[] {
  const file = join(out, `${kind}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

/** Polls `probe` until it returns something truthy; fails with the host's output after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- devhost output ---\n${host?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startHost(): Promise<SpawnedHost> {
  host = await spawnHost({
    appDir,
    connectionString: inject('storageConnectionString'),
    env: {
      TRIG_OUT: out,
      TRIG_CONTAINER: names.container,
      TRIG_QUEUE: names.queue,
      TRIG_BAD_QUEUE: names.badQueue,
      TRIG_SLOW_QUEUE: names.slowQueue,
      TriggerStorage: inject('storageConnectionString'),
      AzureFunctionsWebHost__hostid: names.hostId,
      DEVHOST_BLOB_POLL_MS: String(POLL_MS),
      WEBSITE_TIME_ZONE: 'UTC',
    },
  });
  return host;
}

async function restartHost(): Promise<void> {
  expect(await host!.stop()).toBe(0);
  await startHost();
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function upload(name: string, content: string, metadata?: Record<string, string>): Promise<string> {
  const res = await container.getBlockBlobClient(name).upload(content, Buffer.byteLength(content), { metadata });
  return res.etag!;
}

async function queueLength(queue: QueueClient): Promise<number> {
  return (await queue.getProperties()).approximateMessagesCount ?? -1;
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'devhost-triggers-'));
  const cs = inject('storageConnectionString');
  container = BlobServiceClient.fromConnectionString(cs).getContainerClient(names.container);
  await container.create();
  queues = QueueServiceClient.fromConnectionString(cs);
  // A status as if `yearly` last ran on 2020-01-01 and the host was down since: 2021-01-01 was missed.
  const status = JSON.stringify({ Last: '2020-01-01T00:00:00.000Z', Next: '2021-01-01T00:00:00.000Z', LastUpdated: '2020-01-01T00:00:00.000Z' });
  const hosts = BlobServiceClient.fromConnectionString(cs).getContainerClient('azure-webjobs-hosts');
  await hosts.createIfNotExists();
  await hosts.getBlockBlobClient(`timers/${names.hostId}/yearly/status`).upload(status, status.length);
  await startHost();
});

afterAll(async () => {
  await host?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('devhost blob trigger', () => {
  it('fires once per blob version, extracts name bindings, and survives a restart without firing again', async () => {
    const etagOne = await upload('in/a/one.txt', 'hello one', { origin: 'test' });
    await upload('in/a/b/two.txt', 'hello two');
    await upload('other/x.txt', 'not watched');
    await upload('in/no-folder.txt', 'no folder: does not match');

    const first = await waitFor('two blob invocations', () => {
      const rows = records('blobRecorder');
      return rows.length >= 2 && rows;
    });
    const one = first.find((r) => r.content === 'hello one')!;
    expect(one).toMatchObject({
      isBuffer: true,
      name: 'one',
      folder: 'a',
      blobTrigger: `${names.container}/in/a/one.txt`,
      eTag: etagOne,
      contentLength: 9,
      metadata: { origin: 'test' },
    });
    expect(one.uri).toMatch(new RegExp(`/${names.container}/in/a/one\\.txt$`));
    // Greedy like the real host's template matching.
    expect(first.find((r) => r.content === 'hello two')).toMatchObject({ name: 'two', folder: 'a/b' });

    const hosts = BlobServiceClient.fromConnectionString(inject('storageConnectionString')).getContainerClient('azure-webjobs-hosts');
    const receipts = await waitFor('two receipts', async () => {
      const found: string[] = [];
      for await (const b of hosts.listBlobsFlat({ prefix: `blobreceipts/${names.hostId}/blobRecorder/` })) found.push(b.name);
      return found.length === 2 && found;
    });
    expect(receipts).toContain(`blobreceipts/${names.hostId}/blobRecorder/${etagOne}/${names.container}/in/a/one.txt`);

    await restartHost();
    await upload('in/c/three.txt', 'hello three');
    await upload('in/a/one.txt', 'hello again');
    await waitFor('the new and the overwritten blob', () => {
      const contents = records('blobRecorder').map((r) => r.content);
      return contents.includes('hello three') && contents.includes('hello again');
    });
    // The scan that found them also listed the old blobs: give a re-fire time to show, then check.
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    expect(records('blobRecorder').map((r) => r.content).sort()).toEqual(['hello again', 'hello one', 'hello three', 'hello two']);
  });

  it('gives up on a failing blob after maxDequeueCount attempts and writes a poison message', async () => {
    const etag = await upload('fail/bad.txt', 'cannot be processed');
    const poison = queues.getQueueClient('webjobs-blobtrigger-poison');
    const message = await waitFor('a blob poison message', async () => {
      if (!(await poison.exists())) return undefined;
      const peeked = await poison.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems
        .map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Row)
        .find((m) => m.ContainerName === names.container);
    });
    expect(message).toMatchObject({ FunctionId: 'Host.Functions.blobFailer', BlobType: 'BlockBlob', ContainerName: names.container, BlobName: 'fail/bad.txt', ETag: etag });
    // host.json sets maxDequeueCount to 3.
    expect(records('blobFailer').map((r) => r.name)).toEqual(['bad.txt', 'bad.txt', 'bad.txt']);

    await restartHost();
    await upload('in/d/four.txt', 'hello four');
    await waitFor('a blob after the restart', () => records('blobRecorder').some((r) => r.content === 'hello four'));
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    expect(records('blobFailer')).toHaveLength(3);
  });
});

describe('devhost queue trigger', () => {
  it('delivers text and JSON messages once each, with metadata, and deletes them', async () => {
    const queue = queues.getQueueClient(names.queue);
    await queue.createIfNotExists();
    const json = await queue.sendMessage(base64(JSON.stringify({ kind: 'json', n: 1 })));
    const text = await queue.sendMessage(base64('plain text'));
    const raw = await queue.sendMessage('not base64!');

    await waitFor('three queue invocations', () => records('queueRecorder').length >= 3);
    await waitFor('an empty queue', async () => (await queueLength(queue)) === 0);
    const rows = records('queueRecorder');
    expect(rows).toHaveLength(3);
    const byId = new Map(rows.map((r) => [r.metadata.id, r]));
    expect(byId.get(json.messageId)).toMatchObject({ value: { kind: 'json', n: 1 }, type: 'object' });
    expect(byId.get(text.messageId)).toMatchObject({ value: 'plain text', type: 'string' });
    expect(byId.get(raw.messageId)).toMatchObject({ value: 'not base64!', type: 'string' });
    const meta = byId.get(text.messageId)!.metadata;
    expect(meta).toMatchObject({ dequeueCount: 1, queueTrigger: 'plain text' });
    for (const key of ['insertionTime', 'expirationTime', 'nextVisibleTime']) expect(Date.parse(meta[key])).not.toBeNaN();
    expect(typeof meta.popReceipt).toBe('string');
    // The library parses JSON metadata values and camel-cases them, as it does with the real host.
    expect(byId.get(json.messageId)!.metadata.queueTrigger).toEqual({ kind: 'json', n: 1 });
  });

  it('moves a message that always fails to <queue>-poison after maxDequeueCount attempts', async () => {
    const queue = queues.getQueueClient(names.badQueue);
    await queue.createIfNotExists();
    const sent = base64('doomed');
    await queue.sendMessage(sent);

    const poison = queues.getQueueClient(`${names.badQueue}-poison`);
    const moved = await waitFor('a poison message', async () => {
      if (!(await poison.exists())) return undefined;
      const peeked = await poison.peekMessages();
      return peeked.peekedMessageItems[0];
    });
    expect(moved.messageText).toBe(sent);
    expect(records('queueFailer').map((r) => [r.value, r.dequeueCount])).toEqual([
      ['doomed', 1],
      ['doomed', 2],
      ['doomed', 3],
    ]);
    await waitFor('the original message to be deleted', async () => (await queueLength(queue)) === 0);
  });

  it('lets a running invocation finish when the host stops, and does not deliver the message again', async () => {
    const queue = queues.getQueueClient(names.slowQueue);
    await queue.createIfNotExists();
    const sent = await queue.sendMessage(base64(JSON.stringify({ ms: 1500 })));
    await waitFor('the slow invocation to start', () => records('queueSlow').some((r) => r.event === 'started'));
    await restartHost();
    expect(records('queueSlow').map((r) => [r.event, r.id])).toEqual([
      ['started', sent.messageId],
      ['finished', sent.messageId],
    ]);
    expect(await queueLength(queue)).toBe(0);
  });
});

describe('devhost timer trigger', () => {
  it('fires a */1 second schedule repeatedly with the v4 timer payload', async () => {
    const before = records('everySecond').length;
    const rows = await waitFor('three more timer invocations', () => {
      const all = records('everySecond');
      return all.length >= before + 3 && all;
    });
    expect(rows.at(-1)!.timer).toEqual({ schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false });
    const times = rows.map((r) => Date.parse(r.at));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(500);
  });

  it('runs a missed occurrence once, past due, and records the schedule status', async () => {
    // beforeAll seeded a status whose Next (2021-01-01) passed while "the host was down"; the host
    // has restarted twice since, and must not have run it again.
    const rows = records('yearly');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.timer).toMatchObject({
      isPastDue: true,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: '2020-01-01T00:00:00.000Z', next: '2021-01-01T00:00:00.000Z', lastUpdated: '2020-01-01T00:00:00.000Z' },
    });
    const hosts = BlobServiceClient.fromConnectionString(inject('storageConnectionString')).getContainerClient('azure-webjobs-hosts');
    const status = JSON.parse((await hosts.getBlobClient(`timers/${names.hostId}/yearly/status`).downloadToBuffer()).toString()) as Row;
    expect(status.Last).toBe('2021-01-01T00:00:00.000Z');
    expect(status.Next).toBe(`${new Date().getUTCFullYear() + 1}-01-01T00:00:00.000Z`);
  });
});
