import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { freePort } from '../../devhost/azurite';

export const repoRoot = resolve(__dirname, '..', '..');
export const keys = { functionKey: 'test-function-key', masterKey: 'test-master-key' };

export interface SpawnedHost {
  url: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up. */
  kill(): Promise<void>;
}

export function uniqueHub(prefix = 'T'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Runs `dist/devhost/main.js` as a child process, like a developer would, and waits until it serves. */
export async function spawnHost(options: {
  appDir: string;
  connectionString: string;
  env?: Record<string, string>;
  port?: number;
}): Promise<SpawnedHost> {
  const port = options.port ?? (await freePort());
  let output = '';
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'devhost', 'main.js'), '--app', options.appDir, '--port', String(port)], {
    env: {
      ...process.env,
      AzureWebJobsStorage: options.connectionString,
      DEVHOST_FUNCTION_KEY: keys.functionKey,
      DEVHOST_MASTER_KEY: keys.masterKey,
      DEVHOST_LOG_LEVEL: process.env.DEVHOST_LOG_LEVEL ?? 'warn',
      WEBSITE_HOSTNAME: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`devhost exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/admin/host/status`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`devhost did not start within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    url,
    port,
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls a status URL until it stops answering 202 (the async HTTP pattern). */
export async function waitForCompletion(statusUrl: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(statusUrl);
    if (res.status !== 202) return { httpStatus: res.status, ...(await res.json()) };
    if (Date.now() > deadline) throw new Error(`still running after ${timeoutMs} ms: ${JSON.stringify(await res.json())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
