import { randomBytes } from 'node:crypto';
import { spawnHost as spawnLocalHost, startStack, waitForPartitionsSpread, type SpawnedHost, type SpawnHostOptions } from '../../devhost/localStack';
import { HOST_KEYS } from '../../scripts/support/appStack';

export { repoRoot } from '../../scripts/support/appStack';
export type { SpawnedHost } from '../../devhost/localStack';
/** The keys test hosts run with (devhost tests call admin and function-level routes). */
export const keys = HOST_KEYS;

export function uniqueHub(prefix = 'T'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** devhost as a child process (devhost/localStack.ts) with the test keys and quiet logs, its output kept. */
export function spawnHost(options: Omit<SpawnHostOptions, 'stdio'>): Promise<SpawnedHost> {
  return spawnLocalHost({
    ...options,
    env: { DEVHOST_FUNCTION_KEY: keys.functionKey, DEVHOST_MASTER_KEY: keys.masterKey, DEVHOST_LOG_LEVEL: process.env.DEVHOST_LOG_LEVEL ?? 'warn', ...options.env },
  });
}

/**
 * `count` hosts on one shared task hub (devhost/localStack.ts `startStack` with `hosts`), with the
 * test keys and quiet logs, once each owns a partition. `hostEnv` adds settings per host.
 */
export async function spawnSharedHosts(count: number, options: { appDir: string; connectionString: string; env: Record<string, string>; hostEnv?: (index: number) => Record<string, string> }): Promise<SpawnedHost[]> {
  const stack = await startStack({
    appDir: options.appDir,
    storage: { connectionString: options.connectionString },
    issuer: false,
    hosts: count,
    hostEnv: options.hostEnv,
    env: { DEVHOST_FUNCTION_KEY: keys.functionKey, DEVHOST_MASTER_KEY: keys.masterKey, DEVHOST_LOG_LEVEL: process.env.DEVHOST_LOG_LEVEL ?? 'warn', ...options.env },
  });
  await waitForPartitionsSpread(stack.hosts).catch(async (err: unknown) => {
    await stack.stop();
    throw err;
  });
  return stack.hosts;
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
