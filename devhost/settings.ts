import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of host.json the local host honours. */
export interface HostSettings {
  routePrefix: string;
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
  /** durableTask.storageProvider.partitionCount (Azure Storage provider: 4 by default, 1-16). */
  partitionCount: number;
  queues: {
    batchSize: number;
    newBatchThreshold: number;
    maxDequeueCount: number;
    visibilityTimeoutMs: number;
    maxPollingIntervalMs: number;
    messageEncoding: 'base64' | 'none';
  };
  blobs: { pollingIntervalMs: number };
  functionTimeoutMs?: number;
}

/** Parses a host.json TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`, optional fraction) to milliseconds. */
export function parseTimeSpan(value: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`'${value}' is not a TimeSpan (expected hh:mm:ss)`);
  const [, d, h, m, s, f] = match;
  const fraction = f ? Number(`0.${f}`) : 0;
  return (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s) + fraction) * 1000;
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`);
  }
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

export function readHostSettings(appDir: string): HostSettings {
  const path = join(appDir, 'host.json');
  const host = existsSync(path) ? readJson(path) : {};
  if (host.version !== undefined && host.version !== '2.0') {
    throw new Error(`host.json version must be "2.0" (found ${JSON.stringify(host.version)})`);
  }
  const extensions = obj(host.extensions);
  const http = obj(extensions.http);
  const durable = obj(extensions.durableTask);
  const queues = obj(extensions.queues);
  const batchSize = num(queues.batchSize, 16);
  return {
    routePrefix: typeof http.routePrefix === 'string' ? http.routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    hubName: typeof durable.hubName === 'string' ? durable.hubName : 'TestHubName',
    maxConcurrentActivityFunctions: num(durable.maxConcurrentActivityFunctions, 10),
    maxConcurrentOrchestratorFunctions: num(durable.maxConcurrentOrchestratorFunctions, 10),
    partitionCount: Math.min(16, Math.max(1, num(obj(durable.storageProvider).partitionCount, 4))),
    queues: {
      batchSize,
      newBatchThreshold: num(queues.newBatchThreshold, Math.floor(batchSize / 2)),
      maxDequeueCount: num(queues.maxDequeueCount, 5),
      visibilityTimeoutMs: typeof queues.visibilityTimeout === 'string' ? parseTimeSpan(queues.visibilityTimeout) : 0,
      maxPollingIntervalMs:
        typeof queues.maxPollingInterval === 'string' ? parseTimeSpan(queues.maxPollingInterval) : 60_000,
      messageEncoding: queues.messageEncoding === 'none' ? 'none' : 'base64',
    },
    blobs: { pollingIntervalMs: 1000 },
    functionTimeoutMs: typeof host.functionTimeout === 'string' ? parseTimeSpan(host.functionTimeout) : undefined,
  };
}

/**
 * Reads local.settings.json `Values` (or, on a fresh clone, local.settings.sample.json) into
 * the environment, never overriding a variable that is already set, as `func start` does.
 */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of ['local.settings.json', 'local.settings.sample.json']) {
    const path = join(appDir, name);
    if (!existsSync(path)) continue;
    const values = obj(readJson(path).Values);
    for (const [key, value] of Object.entries(values)) {
      if (env[key] === undefined && value !== null && value !== undefined) env[key] = String(value);
    }
    return path;
  }
  return undefined;
}
