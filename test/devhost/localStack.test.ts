import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../devhost/azurite';
import { azuritePorts } from '../../devhost/azuritePorts';
import { startLocalStack, type LocalStack } from '../../devhost/localStack';
import { repoRoot, uniqueHub, waitForCompletion } from '../support/devhost';

// npm start's stack (startLocalStack) with AZURITE_PORT: a second app on the machine gets its own
// Azurite (and so its own task hub's storage) instead of joining the one on 10000.

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function threeFreePorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await Promise.all([base, base + 1, base + 2].map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no three free ports in a row');
}

const ENV = ['AZURITE_PORT', 'AUTH_DISABLED', 'AUTH_ISSUERS', 'AzureWebJobsStorage', 'TEST_HUB', 'DEVHOST_LOG_LEVEL'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
// Inside the repository, so the app finds its packages in the repository's node_modules.
const appDir = mkdtempSync(join(repoRoot, 'test', 'apps', '.localstack-'));
let stack: LocalStack | undefined;

afterAll(async () => {
  await stack?.stop();
  for (const k of ENV) (saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]));
  rmSync(appDir, { recursive: true, force: true });
});

describe('npm start with AZURITE_PORT', () => {
  it('reads the port, refusing one that is not a port', () => {
    expect(azuritePorts({})).toEqual({ blob: 10000, queue: 10001, table: 10002 });
    expect(azuritePorts({ AZURITE_PORT: ' 10010 ' })).toEqual({ blob: 10010, queue: 10011, table: 10012 });
    expect(() => azuritePorts({ AZURITE_PORT: 'ten' })).toThrow("AZURITE_PORT='ten' is not a port");
    expect(() => azuritePorts({ AZURITE_PORT: '65534' })).toThrow('from 1 to 65533');
  });

  it("starts its own Azurite on that port (data in the app's .azurite), and the host runs on it", async () => {
    cpSync(join(repoRoot, 'test', 'apps', 'durable'), appDir, { recursive: true });
    const base = await threeFreePorts();
    for (const k of ['AUTH_ISSUERS', 'AzureWebJobsStorage'] as const) delete process.env[k];
    Object.assign(process.env, { AZURITE_PORT: String(base), AUTH_DISABLED: 'true', TEST_HUB: uniqueHub(), DEVHOST_LOG_LEVEL: 'warn' });
    const said: string[] = [];
    stack = await startLocalStack({ appDir, port: await freePort(), say: (line) => said.push(line) });
    expect(said).toContain(`Azurite started on ports ${base}-${base + 2} (data in ${join(appDir, '.azurite')}).`);
    expect(stack.connectionString).toContain(`BlobEndpoint=http://127.0.0.1:${base}/devstoreaccount1;`);
    expect(stack.connectionString).toContain(`TableEndpoint=http://127.0.0.1:${base + 2}/devstoreaccount1;`);
    expect(process.env.AzureWebJobsStorage).toBe(stack.connectionString);
    expect(existsSync(join(appDir, '.azurite'))).toBe(true);
    // An orchestration runs to the end: the host's Durable state is in that Azurite.
    const started = (await (await fetch(`${stack.host.url}/api/start/fanOut`, { method: 'POST', body: JSON.stringify({ count: 3 }) })).json()) as { statusQueryGetUri: string };
    const status = await waitForCompletion(started.statusQueryGetUri, 60_000);
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: [0, 1, 2] });
  }, 120_000);
});
