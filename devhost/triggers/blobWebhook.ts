import type { ServerResponse } from 'node:http';
import type { ExtraHandler } from '../http/server';
import { send } from '../http/server';
import { systemKeyAllows, type HostKeys } from '../http/keys';
import type { Logger } from '../log';
import type { BlobEventTarget } from './types';

/**
 * The real host's webhook for blob triggers with `source: 'EventGrid'`:
 * `POST /runtime/webhooks/blobs?functionName=Host.Functions.<name>&code=<blobs_extension key>`.
 * - Event Grid schema: `aeg-event-type: SubscriptionValidation` answers `{ validationResponse }`;
 *   `Notification` carries an array of events.
 * - CloudEvents 1.0: the abuse-protection handshake is `OPTIONS` with `WebHook-Request-Origin`
 *   (answered with `WebHook-Allowed-Origin`); events come one per request
 *   (`application/cloudevents+json`) or as an array (`application/cloudevents-batch+json`).
 * Each `Microsoft.Storage.BlobCreated` event of the function's container is handed to its
 * listener, which runs it like a blob it found (one run per ETag); the answer is 202, as the
 * real host queues the work. A wrong or missing key is 401; an unknown function 404.
 */
export function blobWebhook(listeners: () => BlobEventTarget[], keys: HostKeys, log: Logger): ExtraHandler {
  return async (req, res, url, body) => {
    if (url.pathname.toLowerCase() !== '/runtime/webhooks/blobs') return false;
    const presented = url.searchParams.get('code') ?? header(req.headers['x-functions-key']);
    if (!systemKeyAllows(keys.blobsExtensionKey, presented, keys)) {
      send(res, 401, undefined);
      return true;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      const origin = header(req.headers['webhook-request-origin']);
      if (!origin) return badRequest(res, 'An OPTIONS request needs a WebHook-Request-Origin header (CloudEvents abuse protection).');
      res.writeHead(200, { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' });
      res.end();
      return true;
    }
    if (method !== 'POST') {
      send(res, 405, undefined, { Allow: 'POST, OPTIONS' });
      return true;
    }
    const name = (url.searchParams.get('functionName') ?? '').replace(/^Host\.Functions\./i, '');
    const target = listeners().find((l) => l.functionName.toLowerCase() === name.toLowerCase());
    if (!target) {
      send(res, 404, { error: { code: 'FunctionNotFound', message: `No blob trigger function named '${name}' listens here.` } });
      return true;
    }
    let events: Record<string, any>[];
    try {
      const parsed = JSON.parse(body.toString('utf8') || 'null');
      events = Array.isArray(parsed) ? parsed : parsed && typeof parsed === 'object' ? [parsed] : [];
    } catch {
      return badRequest(res, 'The body is not JSON.');
    }
    const kind = header(req.headers['aeg-event-type']);
    if (kind?.toLowerCase() === 'subscriptionvalidation') {
      const code = events[0]?.data?.validationCode;
      if (typeof code !== 'string') return badRequest(res, 'A SubscriptionValidation event needs data.validationCode.');
      log.info(`Event Grid subscription validated for '${target.functionName}'.`);
      send(res, 200, { validationResponse: code });
      return true;
    }
    for (const event of events) {
      const type = event.eventType ?? event.type;
      if (type !== 'Microsoft.Storage.BlobCreated') continue;
      const blob = blobOf(event);
      if (!blob || blob.container !== target.containerName) continue;
      const outcome = await target.notify(blob.name);
      log.debug(`Blob event for '${blob.container}/${blob.name}' -> ${target.functionName}: ${outcome}.`);
    }
    send(res, 202, undefined);
    return true;
  };
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

function badRequest(res: ServerResponse, message: string): true {
  send(res, 400, { error: { code: 'BadRequest', message } });
  return true;
}

/** Container and blob name from the event's subject (`/blobServices/default/containers/<c>/blobs/<name>`), else its `data.url`. */
function blobOf(event: Record<string, any>): { container: string; name: string } | undefined {
  const subject = typeof event.subject === 'string' ? /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/.exec(event.subject) : null;
  if (subject) return { container: subject[1]!, name: subject[2]! };
  const url = event.data?.url;
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const parts = new URL(url).pathname.split('/').filter(Boolean).map(decodeURIComponent);
  // Azurite's path starts with the account name.
  if (/^(127\.0\.0\.1|localhost)$/.test(new URL(url).hostname)) parts.shift();
  const [container, ...name] = parts;
  return container && name.length ? { container, name: name.join('/') } : undefined;
}
