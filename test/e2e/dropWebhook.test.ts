import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_KEYS } from '../../scripts/support/appStack';
import { samplesDir, type AppStack } from '../support/appHost';
import { startDropApp, type DropApp, type PutBlob } from '../support/drops';

// The Azure wiring of blob drops: an Event Grid subscription delivers Microsoft.Storage.BlobCreated
// events to the host's blob webhook, which runs `blobDrop`. Polling is off here
// (DEVHOST_BLOB_EVENTGRID_POLL=false), so only the webhook can start these jobs.

let app: AppStack;
let drops: DropApp;
const FUNCTION = 'Host.Functions.blobDrop';
const ACCOUNT_ID = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/devstoreaccount1';

const webhook = (query: Record<string, string> = {}) => {
  const url = new URL('/runtime/webhooks/blobs', app.host.url);
  url.searchParams.set('functionName', FUNCTION);
  url.searchParams.set('code', HOST_KEYS.blobsExtensionKey);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.href;
};
/** A BlobCreated event's `data` as Azure Storage sends it. */
const blobData = (blob: PutBlob) => ({
  api: 'PutBlob',
  clientRequestId: randomUUID(),
  requestId: randomUUID(),
  eTag: blob.etag.replace(/"/g, ''),
  contentType: 'application/octet-stream',
  contentLength: blob.length,
  blobType: 'BlockBlob',
  url: blob.url,
  sequencer: '00000000000000000000000000000001000000000000000a',
  storageDiagnostics: { batchId: randomUUID() },
});
const subjectOf = (name: string) => `/blobServices/default/containers/batch-inbox/blobs/${name}`;
const eventGridEvent = (name: string, blob: PutBlob) => ({
  topic: ACCOUNT_ID,
  subject: subjectOf(name),
  eventType: 'Microsoft.Storage.BlobCreated',
  id: randomUUID(),
  data: blobData(blob),
  dataVersion: '',
  metadataVersion: '1',
  eventTime: new Date().toISOString(),
});
const cloudEvent = (name: string, blob: PutBlob) => ({
  source: ACCOUNT_ID,
  subject: subjectOf(name),
  type: 'Microsoft.Storage.BlobCreated',
  time: new Date().toISOString(),
  id: randomUUID(),
  data: blobData(blob),
  specversion: '1.0',
});

beforeAll(async () => {
  drops = await startDropApp({ DEVHOST_BLOB_EVENTGRID_POLL: 'false' });
  app = drops.app;
  await app.deploy({ endpoint: 'iris', deployment: 'onnx', modelFolder: join(samplesDir, 'model') });
});
afterAll(async () => {
  await app?.stop();
});

describe('the blob webhook (Event Grid -> host -> blobDrop)', () => {
  it('answers the Event Grid subscription validation handshake with the code', async () => {
    const validation = [
      {
        id: randomUUID(),
        topic: ACCOUNT_ID,
        subject: '',
        data: { validationCode: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6', validationUrl: 'https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=512d38b6' },
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: new Date().toISOString(),
        metadataVersion: '1',
        dataVersion: '1',
      },
    ];
    const res = await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' }, body: JSON.stringify(validation) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ validationResponse: '512d38b6-c7b8-40c8-89fe-f46f9e9622b6' });
  });

  it('answers the CloudEvents abuse-protection handshake', async () => {
    const res = await fetch(webhook(), { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('refuses a wrong or missing key with 401, and starts nothing', async () => {
    const blob = await drops.dropFolder('iris/wrong-key');
    const body = JSON.stringify([eventGridEvent('iris/wrong-key/_SUCCESS', blob)]);
    const headers = { 'content-type': 'application/json', 'aeg-event-type': 'Notification' };
    expect((await fetch(webhook({ code: 'not-the-key' }), { method: 'POST', headers, body })).status).toBe(401);
    const noKey = new URL(webhook());
    noKey.searchParams.delete('code');
    expect((await fetch(noKey, { method: 'POST', headers, body })).status).toBe(401);
    // The function key opens HTTP functions, not the blobs extension's webhook.
    expect((await fetch(webhook({ code: HOST_KEYS.functionKey }), { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(webhook({ code: 'x' }), { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } })).status).toBe(401);
    // Nothing polls here: the drop stays without a job.
    expect(await drops.jobsOfDrop('iris', 'iris/wrong-key')).toEqual([]);
  });

  it('an Event Grid BlobCreated event starts the drop\'s job; the same event posted twice still makes one job', async () => {
    const blob = await drops.dropFolder('iris/eg');
    const event = eventGridEvent('iris/eg/_SUCCESS', blob);
    const post = () =>
      fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification', 'aeg-delivery-count': '0' }, body: JSON.stringify([event]) });
    const [first, second] = await Promise.all([post(), post()]);
    expect([first.status, second.status]).toEqual([202, 202]);
    const result = await drops.resultOf('iris/eg/_result.json');
    expect(result).toMatchObject({ status: 'Completed', drop: { path: 'iris/eg' } });
    // Delivered again after the job ended (Event Grid retries when it saw no answer): still one job.
    expect((await post()).status).toBe(202);
    expect((await drops.jobsOfDrop('iris', 'iris/eg')).map((j) => j.name)).toEqual([result.jobId]);
  });

  it('a CloudEvents BlobCreated event (single and batch content types) starts the drop\'s job', async () => {
    const one = await drops.dropFolder('iris/ce-one');
    const res = await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify(cloudEvent('iris/ce-one/_SUCCESS', one)) });
    expect(res.status).toBe(202);
    const batch = await drops.dropFolder('iris/ce-batch');
    const res2 = await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' }, body: JSON.stringify([cloudEvent('iris/ce-batch/_SUCCESS', batch)]) });
    expect(res2.status).toBe(202);
    expect(await drops.resultOf('iris/ce-one/_result.json')).toMatchObject({ status: 'Completed' });
    expect(await drops.resultOf('iris/ce-batch/_result.json')).toMatchObject({ status: 'Completed' });
  });

  it('an event for a file inside a drop folder (not its marker) starts nothing', async () => {
    const blob = await drops.put('iris/partial/iris-part-1.csv', readFileSync(join(samplesDir, 'data', 'iris-part-1.csv')));
    const res = await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }, body: JSON.stringify([eventGridEvent('iris/partial/iris-part-1.csv', blob)]) });
    expect(res.status).toBe(202);
    // The marker's event afterwards starts the one job; nothing came of the file's event.
    const marker = await drops.put('iris/partial/_SUCCESS', '');
    await fetch(webhook(), { method: 'POST', headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' }, body: JSON.stringify([eventGridEvent('iris/partial/_SUCCESS', marker)]) });
    const result = await drops.resultOf('iris/partial/_result.json');
    expect(result.counts.itemsTotal).toBe(1);
    expect((await drops.jobsOfDrop('iris', 'iris/partial')).length).toBe(1);
  });
});
