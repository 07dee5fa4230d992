import { resolve } from 'node:path';
import { loadApp } from './appLoader';
import { durableClientBinding, type DurableEndpoints } from './durable/clientBinding';
import { DurableEngine } from './durable/engine';
import { describeFaults, readFaults } from './durable/faults';
import { SharedQueues } from './durable/sharedQueues';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DurableStore } from './durable/store';
import { durableWebhooks } from './durable/webhooks';
import type { Registration } from './functionsCore';
import { hostKeysFrom, keyAllows } from './http/keys';
import { HttpHost, send } from './http/server';
import { Invoker } from './invoker';
import { createLogger, parseLogLevel, type Logger } from './log';
import { applyLocalSettings, readHostSettings } from './settings';
import { hostStorage, waitForStorage } from './storage';
import { startTriggers, type TriggerListener } from './triggers';
import { blobWebhook } from './triggers/blobWebhook';
import type { BlobEventTarget } from './triggers/types';
import { resolveAppSettings } from './triggers/appSettings';

export interface HostOptions {
  appDir: string;
  port?: number;
  /** Interface to listen on; loopback unless told otherwise. */
  host?: string;
  logLevel?: string;
  /** Time given to running work on shutdown before the process lets go. */
  shutdownTimeoutMs?: number;
}

export interface RunningHost {
  url: string;
  port: number;
  log: Logger;
  engine: DurableEngine;
  stop(): Promise<void>;
}

/** `%NAME%` in host.json values refers to an app setting, as in the real host. */
/**
 * Starts a local Functions host for the app in `appDir`: loads it through package.json `main`,
 * serves its HTTP functions, runs Durable orchestrations and activities with state in Azure
 * Storage, and polls blob, queue and timer triggers. Knows nothing about the app itself.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const appDir = resolve(options.appDir);
  const env = process.env;
  applyLocalSettings(appDir, env);
  const log = createLogger(parseLogLevel(options.logLevel ?? env.DEVHOST_LOG_LEVEL, 'info'));
  const settings = readHostSettings(appDir);
  const hubName = resolveAppSettings(settings.hubName, env, 'host.json');
  const connection = env.AzureWebJobsStorage;
  if (!connection) throw new Error(`AzureWebJobsStorage is not set (local.settings.json Values, or the environment).`);
  const storage = hostStorage(connection);
  const keys = hostKeysFrom(env);

  const app = await loadApp(appDir);
  app.core.systemLog = (level, _category, message) => log.debug(`[system:${level}] ${message}`);
  const registrations = [...app.core.registrations.values()];
  const invoker = new Invoker(app.core, app.library, log);

  let endpoints: DurableEndpoints | undefined;
  // Filled once the listeners start (after the server listens): the blob webhook finds them here.
  let triggers: TriggerListener[] = [];
  const clientFor = new Map<Registration, Record<string, unknown>>();
  const extraInputsFor = (reg: Registration): Record<string, unknown> => {
    const cached = clientFor.get(reg);
    if (cached) return cached;
    const inputs: Record<string, unknown> = {};
    for (const [name, binding] of Object.entries(reg.bindings)) {
      if (binding.direction === 'in' && (binding.type === 'durableClient' || binding.type === 'orchestrationClient')) {
        inputs[name] = durableClientBinding(endpoints!);
      }
    }
    clientFor.set(reg, inputs);
    return inputs;
  };

  const faults = readFaults(env);
  const faultText = describeFaults(faults);
  if (faultText) log.warn(`Fault injection on: ${faultText}.`);
  const store = new DurableStore(storage, hubName);
  const shared = /^(1|true)$/i.test(env.DEVHOST_SHARED_HUB ?? '');
  const scaleOut = shared
    ? {
        hostId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        queues: new SharedQueues(storage, store.queuePrefix, settings.partitionCount, store.payloads),
        leases: store.leases,
        leaseMs: Number(env.DEVHOST_LEASE_MS ?? 30_000),
        workItemVisibilityMs: Number(env.DEVHOST_WORKITEM_VISIBILITY_MS ?? 300_000),
      }
    : undefined;
  const engine = new DurableEngine({
    store,
    invoker,
    log,
    registrations,
    maxConcurrentActivities: settings.maxConcurrentActivityFunctions,
    maxConcurrentOrchestrations: settings.maxConcurrentOrchestratorFunctions,
    extraInputsFor,
    faults,
    scaleOut,
  });
  const usesDurable = registrations.some((r) => /^(orchestrationTrigger|activityTrigger|entityTrigger)$/i.test(r.trigger.type) ||
    Object.values(r.bindings).some((b) => b.type === 'durableClient'));
  // Started together with its storage (localStack.ts): the app is loaded; now wait for storage.
  const storageWaitMs = Number(env.DEVHOST_STORAGE_WAIT_MS ?? 0);
  if (storageWaitMs > 0) await waitForStorage(storage, storageWaitMs);
  if (usesDurable) await store.init();

  const http = new HttpHost({
    registrations,
    routePrefix: settings.routePrefix,
    keys,
    invoker,
    library: app.library,
    log,
    extraInputsFor,
    extraHandlers: [
      durableWebhooks(engine, () => endpoints!, keys),
      blobWebhook(() => triggers.filter((t): t is BlobEventTarget => 'notify' in t), keys, log),
      async (req, res, url) => {
        if (url.pathname === '/admin/host/status' && req.method === 'GET') {
          // `partitions`: what this host owns of a shared task hub (tests wait until every host has some);
          // `faultsInjected`: chaos runs report them.
          const partitions = engine.ownedPartitions();
          send(res, 200, { state: 'Running', version: 'devhost', functions: registrations.map((r) => r.name), ...(partitions ? { partitions } : {}), ...(faultText ? { faultsInjected: engine.faultsInjected } : {}) });
          return true;
        }
        // The real host's function list (master key): each function's name and bindings.
        if (url.pathname === '/admin/functions' && req.method === 'GET') {
          if (!keyAllows('admin', url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined), keys)) send(res, 401, undefined);
          else send(res, 200, registrations.map((r) => ({ name: r.name, config: { bindings: [{ ...r.trigger, direction: 'in' }, ...Object.values(r.bindings).filter((b) => b !== r.trigger)] } })));
          return true;
        }
        return false;
      },
    ],
  });
  const listenHost = options.host ?? '127.0.0.1';
  const port = await http.listen(options.port ?? 7071, listenHost);
  const origin = `http://localhost:${port}`;
  // Without it the durable SDK rewrites management URLs to port 7071.
  if (!env.WEBSITE_HOSTNAME) env.WEBSITE_HOSTNAME = `localhost:${port}`;
  endpoints = { publicOrigin: origin, rpcOrigin: `http://127.0.0.1:${port}`, hubName, connectionName: 'Storage', systemKey: keys.masterKey };

  await app.core.runHooks('appStart', { hookData: {}, appHookData: invoker.appHookData, functionAppDirectory: appDir });
  if (usesDurable && scaleOut) {
    await engine.startShared();
    log.info(`Sharing task hub '${hubName}' with other hosts as '${scaleOut.hostId}' (${settings.partitionCount} partitions).`);
  } else {
    const recovered = usesDurable ? await engine.recover() : 0;
    if (recovered) log.info(`Resumed ${recovered} unfinished orchestration instance(s) from task hub '${hubName}'.`);
  }
  triggers = await startTriggers({ registrations, invoker, storage, settings, log, env, extraInputsFor, appDir });

  const functionLines = [
    ...http.describe(origin),
    ...registrations
      .filter((r) => r.trigger.type.toLowerCase() !== 'httptrigger')
      .map((r) => `${r.name}: ${r.trigger.type}`),
  ];
  log.info(`Functions:\n\n${functionLines.map((l) => `\t${l}`).join('\n')}\n`);
  log.info(`Host started on ${origin} (task hub '${hubName}')`);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const timeout = options.shutdownTimeoutMs ?? 10_000;
      log.info('Host is shutting down: finishing running work...');
      await Promise.all(triggers.map((t) => t.stop()));
      await http.close(Math.min(timeout, 5000));
      await engine.stop(timeout);
      await app.core.runHooks('appTerminate', { hookData: {}, appHookData: invoker.appHookData });
      log.info('Host stopped.');
    })());
  return { url: origin, port, log, engine, stop };
}
