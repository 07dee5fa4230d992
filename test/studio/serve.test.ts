import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppUnderTest } from '../support/appHost';
import { repoRoot } from '../support/devhost';
import { startStudioApp } from './studioApp';

let app: AppUnderTest;
beforeAll(async () => {
  app = await startStudioApp();
});
afterAll(async () => {
  await app?.stop();
});

const get = (path: string, init?: RequestInit) => fetch(`${app.host.url}${path}`, init);

describe('the studio served by the Functions app', () => {
  it('serves index.html at /api/studio/ and for client-side page paths, never cached', async () => {
    for (const path of ['/api/studio', '/api/studio/', '/api/studio/endpoints/iris/jobs/abc']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      expect(html).toContain('<div id="root"></div>');
      expect(html).toMatch(/src="\/api\/studio\/assets\/index-[\w-]+\.js"/);
    }
  });

  it('serves hashed assets with their content type, cached as immutable; a missing asset is a 404, not the page', async () => {
    const asset = readdirSync(join(repoRoot, 'dist', 'studio', 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await get(`/api/studio/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const head = await get(`/api/studio/assets/${asset}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    const missing = await get('/api/studio/assets/index-00000000.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('never serves files outside the build folder', async () => {
    for (const path of ['/api/studio/..%2F..%2Fpackage.json', '/api/studio/%2e%2e/%2e%2e/package.json', '/api/studio/../../package.json']) {
      const res = await get(path);
      const text = await res.text();
      expect(text, path).not.toContain('"batch-endpoints-functions"');
    }
  });

  it('tells the page to sign in locally, and mints tokens only for known roles and only for the page itself', async () => {
    const config = await (await get('/api/studio/config.json')).json();
    expect(config).toEqual({ signIn: 'local', roles: ['BatchEndpoints.Read', 'BatchEndpoints.Invoke', 'BatchEndpoints.Manage'] });

    const post = (body: unknown, headers: Record<string, string> = {}) =>
      get('/api/studio/local-token', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const ok = await post({ roles: ['BatchEndpoints.Read'] });
    expect(ok.status).toBe(200);
    const { accessToken } = await ok.json();
    // The token works against the API with exactly the roles asked for.
    expect((await app.api('GET', 'batchEndpoints', undefined, { token: accessToken })).status).toBe(200);
    const denied = await app.api('PUT', 'batchEndpoints/nope', { properties: {} }, { token: accessToken });
    expect(denied.status).toBe(403);

    const bad = await post({ roles: ['BatchEndpoints.Admin'] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('InvalidRoles');
    const crossSite = await post({ roles: ['BatchEndpoints.Manage'] }, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
  });
});

describe('the studio with an Entra ID issuer (as in Azure)', () => {
  let entra: AppUnderTest;
  afterAll(async () => {
    await entra?.stop();
  });

  it('offers MSAL sign-in and no local tokens', async () => {
    // A non-local issuer: the app still starts (keys are fetched only when a token arrives).
    entra = await startStudioApp({
      AUTH_ISSUERS: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0',
      AUTH_AUDIENCES: 'api://batch-endpoints',
      STUDIO_CLIENT_ID: '22222222-2222-4222-8222-222222222222',
    });
    const config = await (await fetch(`${entra.host.url}/api/studio/config.json`)).json();
    expect(config).toEqual({
      signIn: 'msal',
      clientId: '22222222-2222-4222-8222-222222222222',
      authority: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001',
      scopes: ['api://batch-endpoints/.default'],
    });
    const token = await fetch(`${entra.host.url}/api/studio/local-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"roles":[]}' });
    expect(token.status).toBe(404);
  });
});
