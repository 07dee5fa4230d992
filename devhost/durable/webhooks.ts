import type { IncomingMessage, ServerResponse } from 'node:http';
import { keyAllows, type HostKeys } from '../http/keys';
import { tryJsonParse } from '../triggers/triggerMetadata';
import { send, type ExtraHandler } from '../http/server';
import { managementLinks, PUBLIC_BASE, RPC_BASE, type DurableEndpoints } from './clientBinding';
import { DurableError, type DurableEngine } from './engine';
import { describeEvent, event, EventType } from './history';
import { isActive, type InstanceRecord } from './store';


function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function parseJson(text: string | null): unknown {
  return text === null || text === '' ? null : tryJsonParse(text);
}

/**
 * The Durable Functions HTTP API: the public webhooks under /runtime/webhooks/durabletask (system
 * key required) and the same routes under /durabletask for the SDK's rpc calls (loopback only).
 */
export function durableWebhooks(engine: DurableEngine, endpoints: () => DurableEndpoints, keys: HostKeys): ExtraHandler {
  return async (req, res, url, body) => {
    const path = url.pathname;
    let rest: string;
    if (path.toLowerCase().startsWith(`${PUBLIC_BASE}/`)) {
      if (!keyAllows('admin', url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined), keys)) {
        send(res, 401, undefined);
        return true;
      }
      rest = path.slice(PUBLIC_BASE.length + 1);
    } else if (path.toLowerCase().startsWith(`${RPC_BASE}/`)) {
      if (!isLoopback(req)) {
        send(res, 403, undefined);
        return true;
      }
      rest = path.slice(RPC_BASE.length + 1);
    } else {
      return false;
    }
    try {
      await route(engine, endpoints(), req, res, url, rest.split('/').map(decodeURIComponent), body.toString('utf8'));
    } catch (err) {
      if (err instanceof DurableError) send(res, err.status, { Message: err.message });
      else throw err;
    }
    return true;
  };
}

async function route(
  engine: DurableEngine,
  endpoints: DurableEndpoints,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  parts: string[],
  body: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const [collection, id, action, name] = parts;
  const q = url.searchParams;

  if (collection === 'orchestrators' && method === 'POST' && id) {
    const instanceId = await engine.startNew(id, action || undefined, body.trim() === '' ? null : body);
    const links = managementLinks(endpoints, instanceId);
    send(res, 202, links, { Location: links.statusQueryGetUri, 'Retry-After': '10' });
    return;
  }
  if (collection !== 'instances') {
    send(res, 404, { Message: `No route for ${method} ${url.pathname}` });
    return;
  }
  if (!id) {
    const statuses = q.get('runtimeStatus')?.split(',').filter(Boolean);
    const filter = { statuses, createdFrom: q.get('createdTimeFrom') ?? undefined, createdTo: q.get('createdTimeTo') ?? undefined };
    if (method === 'GET') {
      const top = Number(q.get('top') ?? 100);
      const page = await engine.store.queryInstances({
        ...filter,
        pageSize: top > 0 ? top : 100,
        continuation: (req.headers['x-ms-continuation-token'] as string | undefined) || undefined,
      });
      const headers: Record<string, string> = page.continuation ? { 'x-ms-continuation-token': page.continuation } : {};
      send(res, 200, page.items.map((r) => statusPayload(r, q.get('showInput') !== 'false')), headers);
      return;
    }
    if (method === 'DELETE') {
      let deleted = 0;
      let continuation: string | undefined;
      do {
        const page = await engine.store.queryInstances({ ...filter, continuation });
        continuation = page.continuation;
        for (const record of page.items) if (!isActive(record.status) && (await engine.purge(record.instanceId))) deleted++;
      } while (continuation);
      send(res, deleted ? 200 : 404, { instancesDeleted: deleted });
      return;
    }
  }
  if (method === 'GET' && !action) {
    const record = await engine.getInstance(id);
    if (!record) {
      send(res, 404, undefined);
      return;
    }
    const payload = statusPayload(record, q.get('showInput') !== 'false');
    if (q.get('showHistory') === 'true') {
      payload.historyEvents = (await engine.getHistory(record))
        .filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted)
        .map((e) => describeEvent(e, q.get('showHistoryOutput') === 'true'));
      // The extension names it historyEvents; durable-functions 3.x reads `history`.
      payload.history = payload.historyEvents;
    }
    if (isActive(record.status)) {
      const links = managementLinks(endpoints, id);
      send(res, 202, payload, { Location: links.statusQueryGetUri, 'Retry-After': '10' });
    } else {
      send(res, 200, payload);
    }
    return;
  }
  if (method === 'DELETE' && !action) {
    const deleted = await engine.purge(id);
    send(res, deleted ? 200 : 404, { instancesDeleted: deleted ? 1 : 0 });
    return;
  }
  if (method === 'POST' && action === 'raiseEvent' && name) {
    await engine.send(id, event(EventType.EventRaised, { Name: name, Input: body.trim() === '' ? null : body }));
    send(res, 202, undefined);
    return;
  }
  if (method === 'POST' && (action === 'terminate' || action === 'suspend' || action === 'resume')) {
    const reason = q.get('reason') ?? '';
    const type = { terminate: EventType.ExecutionTerminated, suspend: EventType.ExecutionSuspended, resume: EventType.ExecutionResumed }[action];
    await engine.send(id, event(type, action === 'terminate' ? { Input: reason } : { Reason: reason }));
    send(res, 202, undefined);
    return;
  }
  if (method === 'POST' && (action === 'rewind' || action === 'restart')) {
    send(res, 501, { Message: `${action} is not supported by the local host.` });
    return;
  }
  send(res, 404, { Message: `No route for ${method} ${url.pathname}` });
}

function statusPayload(record: InstanceRecord, showInput: boolean): Record<string, unknown> {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.status,
    input: showInput ? parseJson(record.input) : null,
    customStatus: parseJson(record.customStatus),
    output: parseJson(record.output),
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
  };
}
