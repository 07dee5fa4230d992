import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { spawnHost, uniqueHub, waitForCompletion, repoRoot, keys, type SpawnedHost } from '../support/devhost';

const appDir = join(repoRoot, 'test', 'apps', 'durable');
let host: SpawnedHost;

async function start(name: string, input: unknown, id?: string): Promise<{ id: string; statusQueryGetUri: string; [k: string]: string }> {
  const res = await fetch(`${host.url}/api/start/${name}${id ? `/${id}` : ''}`, { method: 'POST', body: JSON.stringify(input) });
  expect(res.status).toBe(202);
  const body = (await res.json()) as { id: string; statusQueryGetUri: string };
  expect(res.headers.get('location')).toBe(body.statusQueryGetUri);
  return body as never;
}

async function run(name: string, input: unknown, id?: string) {
  const started = await start(name, input, id);
  return waitForCompletion(started.statusQueryGetUri);
}

beforeAll(async () => {
  host = await spawnHost({ appDir, connectionString: inject('storageConnectionString'), env: { TEST_HUB: uniqueHub('Durable') } });
});
afterAll(async () => {
  await host?.stop();
});

describe('devhost durable functions', () => {
  it('fans out 100 activities and fans in every result in order', async () => {
    const status = await run('fanOut', { count: 100 });
    expect(status.httpStatus).toBe(200);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
