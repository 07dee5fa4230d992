import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Data folder; ignored with `inMemory`. */
  location: string;
  inMemory?: boolean;
  /** 0 picks free ports. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
}

export interface RunningAzurite {
  connectionString: string;
  /** The Azurite process (benchmarks count its CPU apart from the app's). */
  pid: number;
  ports: { blob: number; queue: number; table: number };
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function azuriteConnectionString(ports: { blob: number; queue: number; table: number }): string {
  const base = `http://127.0.0.1`;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
    `BlobEndpoint=${base}:${ports.blob}/${AZURITE_ACCOUNT};QueueEndpoint=${base}:${ports.queue}/${AZURITE_ACCOUNT};` +
    `TableEndpoint=${base}:${ports.table}/${AZURITE_ACCOUNT};`
  );
}

/** `UseDevelopmentStorage=true` means Azurite on its usual ports; other values are kept. */
export function resolveConnectionString(value: string): string {
  if (/^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value)) {
    return azuriteConnectionString({ blob: 10000, queue: 10001, table: 10002 });
  }
  return value;
}

export function isAzurite(connectionString: string): boolean {
  return connectionString.includes(`AccountName=${AZURITE_ACCOUNT}`) && connectionString.includes(AZURITE_KEY);
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms`);
}

/**
 * Runs Azurite (`node -e <this> <azurite.js> ...args`) so that it always shuts down gracefully,
 * exactly once: Azurite keeps its metadata in memory, saving it every 5 s and when it closes, so a
 * kill during that save (a second Ctrl+C reaching it, a SIGKILL after a short grace) loses writes
 * it had acknowledged.
 * - `startAzurite` starts it in its own process group: Ctrl+C in the terminal and signals sent to
 *   the parent's group do not reach it; its parent stops it (IPC "shutdown") after its own work.
 * - If the parent dies without stopping it, the IPC channel closes and Azurite shuts down.
 * - A signal sent to it directly starts Azurite's own shutdown; further ones are ignored (Azurite
 *   registers its signal handlers with `once`, so a second signal would kill it mid-save).
 */
const AZURITE_WRAPPER = `
const [entry, ...args] = process.argv.slice(1);
process.argv = [process.argv[0], entry, ...args];
let closing = false;
// The first signal runs Azurite's own once-handler; these only keep later ones from killing it.
process.on('SIGINT', () => { closing = true; });
process.on('SIGTERM', () => { closing = true; });
process.on('message', (m) => { if (m === 'shutdown') closing = true; });
process.on('disconnect', () => {
  if (closing) return;
  closing = true;
  process.emit('message', 'shutdown');
});
if (process.channel) process.channel.unref();
require(entry);
`;

/**
 * Starts Azurite (blob, queue, table) as a child process. Started by path, not through
 * node_modules/.bin, because the bin file may lack its run bit after install.
 */
export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  for (let tries = 1; ; tries++) {
    const ports = {
      blob: options.blobPort || (await freePort()),
      queue: options.queuePort || (await freePort()),
      table: options.tablePort || (await freePort()),
    };
    try {
      return await startAzuriteOn(ports, options);
    } catch (err) {
      // A port found free was taken before Azurite bound it (another process picking ports at the
      // same time, as parallel tests do): pick again. Ports the caller chose are its to fix.
      const picked = !options.blobPort || !options.queuePort || !options.tablePort;
      if (!picked || tries >= 5 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startAzuriteOn(ports: { blob: number; queue: number; table: number }, options: AzuriteOptions): Promise<RunningAzurite> {
  const entry = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    entry,
    '--blobHost', '127.0.0.1', '--blobPort', String(ports.blob),
    '--queueHost', '127.0.0.1', '--queuePort', String(ports.queue),
    '--tableHost', '127.0.0.1', '--tablePort', String(ports.table),
    // Azurite sends usage telemetry to Microsoft unless told not to: a local emulator should not.
    '--skipApiVersionCheck', '--disableProductStyleUrl', '--disableTelemetry', '--silent',
  ];
  if (options.inMemory) {
    args.push('--inMemoryPersistence');
  } else {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  }
  // Own process group + IPC, through AZURITE_WRAPPER: stopped once, gracefully, and waited for.
  const child = spawn(process.execPath, ['-e', AZURITE_WRAPPER, ...args], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
  child.unref();
  child.channel?.unref();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  (child.stderr as unknown as { unref?: () => void })?.unref?.();
  try {
    await Promise.all([
      waitForPort(ports.blob, child, 30_000),
      waitForPort(ports.queue, child, 30_000),
      waitForPort(ports.table, child, 30_000),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}${stderr ? `: ${stderr}` : ''}`);
  }
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return {
    connectionString: azuriteConnectionString(ports),
    pid: child.pid!,
    ports,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (child.connected) child.send('shutdown');
        else child.kill('SIGTERM');
        // Saving a big data folder takes a while; never cut it short unless it hangs for minutes.
        const hung = setTimeout(() => {
          process.stderr.write(`Azurite did not stop within ${STOP_GRACE_MS / 1000} s: killing it (data since its last save may be lost).\n`);
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(hung);
      })()),
  };
}

const STOP_GRACE_MS = 120_000;
