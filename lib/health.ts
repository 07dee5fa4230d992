import { messageOf } from './util/messageOf';
import type { StorageClients } from './storage/clients';

export interface ServiceProbe {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'Healthy' | 'Unhealthy';
  version: string;
  storage: { blob: ServiceProbe; queue: ServiceProbe; table: ServiceProbe };
}

async function probe(call: () => Promise<unknown>, timeoutMs: number): Promise<ServiceProbe> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      call(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (err) {
    return { ok: false, latencyMs: Date.now() - started, error: messageOf(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Asks each storage service one cheap question; a service that does not answer is reported, not thrown. */
export async function checkHealth(clients: StorageClients, version: string, timeoutMs = 3000): Promise<HealthReport> {
  // Each call asks the service itself: listing one item needs no existing resource.
  const [blob, queue, table] = await Promise.all([
    probe(() => clients.blob.listContainers().byPage({ maxPageSize: 1 }).next(), timeoutMs),
    probe(() => clients.queue.listQueues().byPage({ maxPageSize: 1 }).next(), timeoutMs),
    probe(() => clients.tables.listTables().byPage({ maxPageSize: 1 }).next(), timeoutMs),
  ]);
  const status = blob.ok && queue.ok && table.ok ? 'Healthy' : 'Unhealthy';
  return { status, version, storage: { blob, queue, table } };
}
