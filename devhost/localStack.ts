import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { azuritePorts, connectionStringOn } from './azuritePorts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { azuriteConnectionString, freePort, isAzurite, resolveConnectionString, startAzurite, type RunningAzurite } from './azurite';
import { startLocalIssuer, type LocalIssuer } from './issuer';
import { applyLocalSettings } from './settings';

/**
 * The one way to run a Functions app locally with everything it needs, used by `npm start`, the
 * tests and the benchmarks: Azurite, a local OpenID issuer standing in for Entra ID, and devhost
 * (`dist/devhost/main.js`) as a child process running the built app. Generic: knows nothing
 * about the app it runs (app-aware helpers live in `scripts/support/`).
 */

/** `main.js` of the built devhost, whether this file runs built (dist/devhost) or as TS source (vitest). */
const DEVHOST_MAIN = existsSync(join(__dirname, 'main.js')) ? join(__dirname, 'main.js') : resolve(__dirname, '..', 'dist', 'devhost', 'main.js');

export interface SpawnedHost {
  url: string;
  port: number;
  child: ChildProcess;
  /** What the host printed so far (empty when its output is inherited). */
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<void>;
}

/**
 * Waits until every host of a shared task hub (DEVHOST_SHARED_HUB=true) owns a partition, so all
 * of them take part from the start (at most `partitionCount` hosts, default 4).
 */
export async function waitForPartitionsSpread(hosts: SpawnedHost[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const owned = await Promise.all(
      hosts.map((h) => fetch(`${h.url}/admin/host/status`).then((r) => r.json() as Promise<{ partitions?: number[] }>).then((s) => s.partitions?.length ?? 0, () => 0)),
    );
    if (owned.every((n) => n > 0)) return;
    if (Date.now() > deadline) throw new Error(`partitions never spread over the ${hosts.length} hosts (owned: ${owned.join(', ')})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SpawnHostOptions {
  appDir: string;
  connectionString: string;
  /** App settings (and devhost settings such as DEVHOST_MASTER_KEY) on top of this process's environment. */
  env?: Record<string, string>;
  /** Default: a free port. */
  port?: number;
  /** Interface to listen on (devhost's default: loopback). */
  listen?: string;
  /** `pipe` keeps the output for `output()` (tests); `inherit` prints it (npm start, benchmarks). */
  stdio?: 'pipe' | 'inherit';
  /** Own process group, so a terminal's Ctrl+C reaches only the parent, which then stops the host once. */
  detached?: boolean;
  startTimeoutMs?: number;
  /** Gives up starting (kills the host): e.g. the Azurite it was started with failed. */
  signal?: AbortSignal;
}

/** Runs `dist/devhost/main.js` as a child process, like a developer would, and waits until it serves. */
export async function spawnHost(options: SpawnHostOptions): Promise<SpawnedHost> {
  if (options.port !== undefined) return spawnHostOn(options.port, options);
  // A free port can be taken by another process between freePort() and the host's listen (tests
  // start many stacks at once): then the host exits saying so, and another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnHostOn(await freePort(), options);
    } catch (err) {
      if (attempt >= 5 || !(err instanceof PortTakenError)) throw err;
    }
  }
}

class PortTakenError extends Error {}

async function spawnHostOn(port: number, options: SpawnHostOptions): Promise<SpawnedHost> {
  // DEVHOST_NODE_ARGS: Node options for the host (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to
  // profile it and its worker threads; NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.DEVHOST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, DEVHOST_MAIN, '--app', options.appDir, '--port', String(port), ...(options.listen ? ['--host', options.listen] : [])];
  const piped = (options.stdio ?? 'pipe') === 'pipe';
  const child = spawn(process.execPath, args, {
    env: { ...process.env, AzureWebJobsStorage: options.connectionString, WEBSITE_HOSTNAME: '', ...options.env },
    stdio: ['ignore', piped ? 'pipe' : 'inherit', piped ? 'pipe' : 'inherit'],
    detached: options.detached ?? false,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // The origin the host itself reports (and builds its Durable status URLs on).
  const url = `http://localhost:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      const message = `devhost exited with ${child.exitCode}:\n${output}`;
      throw /Port \d+ on \S+ is taken/.test(output) ? new PortTakenError(message) : new Error(message);
    }
    if (options.signal?.aborted) {
      child.kill('SIGKILL');
      throw new Error('devhost start given up', { cause: options.signal.reason });
    }
    if (await fetch(`${url}/admin/host/status`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`devhost did not start within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface StackOptions {
  appDir: string;
  /**
   * Storage: Azurite in memory (default); Azurite on disk, its data in `location` (default: a
   * temporary folder removed on stop) and on fixed `ports` if given; or an existing storage
   * account or emulator (`connectionString`).
   */
  storage?: { inMemory: true } | { location?: string; ports?: { blob: number; queue: number; table: number } } | { connectionString: string };
  /** A local issuer (default: yes, keys in a temporary folder); `false` when the app's auth is configured otherwise. */
  issuer?: false | { dataDir?: string; port?: number };
  /** The host's app settings; the issuer's AUTH_ISSUERS / AUTH_AUDIENCES come first and can be overridden. */
  env?: Record<string, string>;
  port?: number;
  listen?: string;
  stdio?: 'pipe' | 'inherit';
  detached?: boolean;
  /**
   * Hosts on the one task hub (default 1). More than one run with DEVHOST_SHARED_HUB=true, as
   * Azure's instances share a hub: leased partitions, activities from a shared queue.
   */
  hosts?: number;
  /** Settings of one host (by index) on top of `env`, e.g. its own work folder. */
  hostEnv?: (index: number) => Record<string, string>;
}

export interface LocalStack {
  connectionString: string;
  /** Set when this stack started Azurite. */
  azurite?: RunningAzurite;
  issuer?: LocalIssuer;
  /** The first host (`hosts[0]`); replaced by `restartHost`. */
  readonly host: SpawnedHost;
  /** Every host, by index; an entry is replaced by `restartHost(index)`. */
  hosts: SpawnedHost[];
  /** Settings the hosts run with (the issuer's and `options.env`); `restartHost` uses them. */
  env: Record<string, string>;
  /** Starts a host again (after its `stop()` or `kill()`), on the same port, storage and issuer. */
  restartHost(index?: number): Promise<SpawnedHost>;
  /** Stops the hosts, the issuer and Azurite, and removes the temporary folders. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<LocalStack> {
  const temporary: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temporary.push(dir);
    return dir;
  };
  const storage = options.storage ?? { inMemory: true };
  let azurite: RunningAzurite | undefined;
  let issuer: LocalIssuer | undefined;
  // Azurite and the host start side by side (each takes 2-3 s, mostly loading code): the host
  // loads the app meanwhile, then waits for storage to answer (DEVHOST_STORAGE_WAIT_MS).
  let azuriteStarting: Promise<RunningAzurite> | undefined;
  const azuriteFailed = new AbortController();
  try {
    let connectionString: string;
    if ('connectionString' in storage) connectionString = storage.connectionString;
    else {
      const fixed = 'ports' in storage ? storage.ports : undefined;
      const ports = fixed ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
      const location = 'inMemory' in storage ? '' : (storage.location ?? tempDir('azurite-'));
      azuriteStarting = startAzurite({ location, inMemory: 'inMemory' in storage, blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table });
      azuriteStarting.catch((err: unknown) => azuriteFailed.abort(err));
      connectionString = azuriteConnectionString(ports);
    }
    if (options.issuer !== false) {
      issuer = await startLocalIssuer({ dataDir: options.issuer?.dataDir ?? tempDir('issuer-'), port: options.issuer?.port });
    }
    const count = options.hosts ?? 1;
    const env = {
      ...(issuer ? { AUTH_ISSUERS: issuer.issuer, AUTH_AUDIENCES: issuer.audience } : {}),
      ...(count > 1 ? { DEVHOST_SHARED_HUB: 'true' } : {}),
      ...(azuriteStarting ? { DEVHOST_STORAGE_WAIT_MS: '60000' } : {}),
      ...options.env,
    };
    const start = (index: number, port?: number, signal?: AbortSignal) =>
      spawnHost({ appDir: options.appDir, connectionString, env: { ...env, ...options.hostEnv?.(index) }, port, listen: options.listen, stdio: options.stdio, detached: options.detached, signal });
    const [started, [azuriteStarted]] = await Promise.all([
      Promise.allSettled(Array.from({ length: count }, (_, i) => start(i, i === 0 ? options.port : undefined, azuriteFailed.signal))),
      Promise.allSettled([azuriteStarting]),
    ]);
    if (azuriteStarted!.status === 'fulfilled') azurite = azuriteStarted!.value;
    const failed = [azuriteStarted!, ...started].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
      throw failed.reason;
    }
    const stack: LocalStack = {
      connectionString,
      azurite,
      issuer,
      env,
      hosts: started.map((r) => (r as PromiseFulfilledResult<SpawnedHost>).value),
      get host() {
        return stack.hosts[0]!;
      },
      async restartHost(index = 0) {
        // The same port: clients that hold the URL (and tokens) keep working.
        stack.hosts[index] = await start(index, stack.hosts[index]!.port);
        return stack.hosts[index]!;
      },
      async stop() {
        await Promise.all(stack.hosts.map((h) => h.stop().catch(() => undefined)));
        await issuer?.stop();
        await azurite?.stop();
        for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
      },
    };
    return stack;
  } catch (err) {
    await issuer?.stop();
    await azuriteStarting?.then((started) => started.stop(), () => undefined);
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function azuriteAnswers(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
  return !!res && /azurite/i.test(res.headers.get('server') ?? '');
}

/**
 * `npm start`'s stack for the app in `appDir`, configured the way `func start` is: settings from
 * local.settings.json; Azurite on the usual ports (or `AZURITE_PORT`) with data in `<appDir>/.azurite` (unless
 * AzureWebJobsStorage names a real account or an Azurite already runs); the local issuer with its
 * keys in `.devhost/issuer` (unless AUTH_ISSUERS is configured); the host's output printed.
 */
export async function startLocalStack(options: { appDir: string; port: number; host?: string; say?: (line: string) => void }): Promise<LocalStack> {
  const say = options.say ?? ((line: string) => console.log(line));
  const settingsFile = applyLocalSettings(options.appDir);
  if (settingsFile) say(`Settings from ${settingsFile}.`);
  const ports = azuritePorts();
  const portRange = `${ports.blob}-${ports.table}`;
  const connectionString = connectionStringOn(resolveConnectionString(process.env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true'), ports);

  let storage: StackOptions['storage'] = { connectionString };
  if (!isAzurite(connectionString)) {
    say('AzureWebJobsStorage names a storage account: Azurite is not started.');
  } else if (await azuriteAnswers(ports.blob)) {
    say(
      `Using the Azurite already running on ports ${portRange}. If another app runs on it (another npm start), ` +
        'the two hosts share its storage and task hub; AZURITE_PORT=<port> gives this one its own Azurite.',
    );
  } else {
    storage = { location: join(options.appDir, '.azurite'), ports };
  }
  // The app validates the local issuer's tokens with the same code it uses for Entra ID.
  const withIssuer = !process.env.AUTH_ISSUERS && process.env.AUTH_DISABLED !== 'true';
  const stack = await startStack({
    appDir: options.appDir,
    storage,
    issuer: withIssuer ? { dataDir: join(options.appDir, '.devhost', 'issuer'), port: Number(process.env.LOCAL_ISSUER_PORT ?? 7072) } : false,
    port: options.port,
    listen: options.host,
    stdio: 'inherit',
    detached: true,
  });
  // The caller's own clients (the sample upload) use the same storage and issuer as the host.
  Object.assign(process.env, { AzureWebJobsStorage: stack.connectionString }, stack.issuer ? { AUTH_ISSUERS: stack.issuer.issuer, AUTH_AUDIENCES: stack.issuer.audience } : {});
  if (stack.azurite) say(`Azurite started on ports ${portRange} (data in ${join(options.appDir, '.azurite')}).`);
  if (stack.issuer) say(`Local token issuer: ${stack.issuer.issuer} (audience ${stack.issuer.audience}).`);
  return stack;
}

/** Stops the stack on Ctrl+C / SIGTERM (a second signal kills the host and exits at once). */
export function stopOnSignals(stack: LocalStack): void {
  let signals = 0;
  const shutdown = async (signal: string) => {
    if (++signals > 1) {
      await stack.host.kill();
      process.exit(130);
    }
    console.log(`${signal} received: stopping.`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
