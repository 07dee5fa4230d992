import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { keys, repoRoot, spawnHost, uniqueHub, type SpawnedHost } from '../support/devhost';

let host: SpawnedHost;

beforeAll(async () => {
  host = await spawnHost({
    appDir: join(repoRoot, 'test', 'apps', 'durable'),
    connectionString: inject('storageConnectionString'),
    env: { TEST_HUB: uniqueHub('Http') },
  });
});
afterAll(async () => {
  await host?.stop();
});

const get = (path: string, init?: RequestInit) => fetch(`${host.url}${path}`, init);

describe('devhost HTTP triggers', () => {
  it('routes with optional parameters, query, headers and body', async () => {
    const res = await get('/api/hello/world?x=1&y=two', { headers: { 'x-test': 'yes' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-handled-by')).toBe('hello');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ name: 'world', query: { x: '1', y: 'two' }, header: 'yes', body: '' });
    const noName = await (await get('/api/hello')).json();
    expect(noName.name).toBeNull();
    const posted = await (await get('/api/hello/p', { method: 'POST', body: 'payload' })).json();
    expect(posted.body).toBe('payload');
  });

  it('prefers literal segments and honours constraints, like ASP.NET routing', async () => {
    expect(await (await get('/api/items/special')).json()).toEqual({ route: 'special' });
    expect(await (await get('/api/items/42')).json()).toEqual({ route: 'byId', id: 42 });
    expect(await (await get('/api/items/forty-two')).json()).toEqual({ route: 'byName', name: 'forty-two' });
    expect(await (await get('/api/ITEMS/SPECIAL')).json()).toEqual({ route: 'special' });
  });

  it('binds catch-all parameters with decoded segments', async () => {
    expect(await (await get('/api/files/a/b%20c/d.txt')).json()).toEqual({ path: 'a/b c/d.txt' });
  });

  it('enforces function and admin auth levels with x-functions-key or ?code=', async () => {
    expect((await get('/api/secret')).status).toBe(401);
    expect((await get('/api/secret?code=wrong')).status).toBe(401);
    expect(await (await get(`/api/secret?code=${keys.functionKey}`)).text()).toBe('function-level ok');
    expect((await get('/api/secret', { headers: { 'x-functions-key': keys.masterKey } })).status).toBe(200);
    expect((await get(`/api/admin-only?code=${keys.functionKey}`)).status).toBe(401);
    expect((await get('/api/admin-only', { headers: { 'x-functions-key': keys.masterKey } })).status).toBe(200);
  });

  it('returns HttpResponse objects with status and headers', async () => {
    const res = await get('/api/created', { method: 'PUT', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/created/1');
    expect(await res.json()).toEqual({ a: 1 });
  });

  it('answers 404 for unknown routes, 405 for wrong methods and 500 when a handler throws', async () => {
    expect((await get('/api/nowhere')).status).toBe(404);
    expect((await get('/elsewhere')).status).toBe(404);
    expect((await get('/api/items/special', { method: 'DELETE' })).status).toBe(405);
    const boom = await get('/api/boom');
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain('exploded');
    expect(host.output()).toContain('handler exploded');
  });

  it('refuses bodies over the limit with 413', async () => {
    const big = Buffer.alloc(101 * 1024 * 1024, 97);
    const res = await get('/api/hello/x', { method: 'POST', body: big });
    expect(res.status).toBe(413);
  });
});
