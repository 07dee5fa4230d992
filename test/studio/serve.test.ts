import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStack } from '../support/appHost';
import { repoRoot } from '../support/devhost';
import { openBrowser } from './browser';
import { startStudioApp } from './studioApp';

let app: AppStack;
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
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self';");
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
  let entra: AppStack;
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

  it('sends the browser to Entra ID with the authorization code flow and PKCE, with no token anywhere', async () => {
    const b = await openBrowser();
    try {
      // No network here: Entra's endpoints are answered by the test (discovery) or recorded (authorize).
      const tenant = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001';
      let authorize: URL | undefined;
      await b.context.route('https://login.microsoftonline.com/**', async (route) => {
        const url = new URL(route.request().url());
        if (url.pathname.endsWith('/openid-configuration')) {
          return route.fulfill({
            json: {
              issuer: `${tenant}/v2.0`,
              authorization_endpoint: `${tenant}/oauth2/v2.0/authorize`,
              token_endpoint: `${tenant}/oauth2/v2.0/token`,
              end_session_endpoint: `${tenant}/oauth2/v2.0/logout`,
              jwks_uri: `${tenant}/discovery/v2.0/keys`,
            },
          });
        }
        if (url.pathname.includes('/discovery/instance')) {
          return route.fulfill({ json: { tenant_discovery_endpoint: `${tenant}/v2.0/.well-known/openid-configuration`, metadata: [] } });
        }
        if (url.pathname.endsWith('/oauth2/v2.0/authorize')) {
          authorize = url;
          return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Entra sign-in</title><h1>Sign in</h1>' });
        }
        return route.fulfill({ status: 404, body: '' });
      });
      const page = await fetch(`${entra.host.url}/api/studio/`);
      expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' https://login.microsoftonline.com;");
      await b.page.goto(`${entra.host.url}/api/studio/`);
      await b.page.waitForURL(/oauth2\/v2\.0\/authorize/);
      const params = Object.fromEntries(authorize!.searchParams);
      expect(params).toMatchObject({
        client_id: '22222222-2222-4222-8222-222222222222',
        response_type: 'code',
        code_challenge_method: 'S256',
        redirect_uri: `${entra.host.url}/api/studio/`,
      });
      expect(params.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.scope!.split(' ')).toEqual(expect.arrayContaining(['api://batch-endpoints/.default', 'openid']));
      expect(authorize!.href).not.toMatch(/access_token|id_token=/);
    } finally {
      await b.close();
    }
  });
});

describe('routes the studio reads', () => {
  it('lists models and data assets with their latest version, and codes', async () => {
    const ds = 'azureml://datastores/workspaceblobstore/paths';
    for (const [path, body] of [
      ['models/zeta/versions/1', { properties: { modelType: 'custom_model', modelUri: `${ds}/m/zeta` } }],
      ['models/alpha/versions/1', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/m/a1` } }],
      ['models/alpha/versions/2', { properties: { modelType: 'mlflow_model', modelUri: `${ds}/m/a2`, description: 'second' } }],
      ['models/alpha-beta/versions/7', { properties: { modelType: 'custom_model', modelUri: `${ds}/m/ab` } }],
      ['data/rows/versions/3', { properties: { dataType: 'uri_folder', dataUri: `${ds}/d/` } }],
      ['codes/score/versions/1', { properties: { codeUri: `${ds}/c/` } }],
    ] as const) {
      const res = await app.api('PUT', path, body);
      expect(res.status, path).toBe(201);
    }
    const models = await app.api('GET', 'models', undefined, { roles: ['BatchEndpoints.Read'] });
    expect(models.status).toBe(200);
    expect(models.body.value.map((m: any) => [m.name, m.properties.latestVersion, m.properties.description])).toEqual([
      ['alpha', '2', 'second'],
      ['alpha-beta', '7', undefined],
      ['zeta', '1', undefined],
    ]);
    expect(models.body.value[0]).toMatchObject({ id: '/api/models/alpha', type: 'Microsoft.MachineLearningServices/workspaces/models' });
    // Other kinds of asset are not mixed in.
    expect((await app.api('GET', 'data')).body.value.map((d: any) => [d.name, d.properties.latestVersion])).toEqual([['rows', '3']]);
    expect((await app.api('GET', 'codes')).body.value.map((d: any) => d.name)).toEqual(['score']);
    expect((await app.api('GET', 'models', undefined, { token: null })).status).toBe(401);
  });

  it("lists one folder level of a datastore, folders first, and pages past 200 entries", async () => {
    await app.uploadText('browse/a.csv', '1\n');
    await app.uploadText('browse/sub/b.csv', '22\n');
    await app.uploadText('browse/sub/deeper/c.csv', '333\n');
    const top = await app.api('GET', 'datastores/workspaceblobstore/paths?prefix=browse/', undefined, { roles: ['BatchEndpoints.Read'] });
    expect(top.status).toBe(200);
    expect(top.body.value.map((e: any) => [e.name, e.kind, e.size])).toEqual([
      ['browse/sub/', 'folder', undefined],
      ['browse/a.csv', 'file', 2],
    ]);
    const sub = await app.api('GET', 'datastores/workspaceblobstore/paths?prefix=browse/sub/');
    expect(sub.body.value.map((e: any) => e.name)).toEqual(['browse/sub/deeper/', 'browse/sub/b.csv']);

    await Promise.all(Array.from({ length: 205 }, (_, i) => app.uploadText(`many/f${String(i).padStart(3, '0')}.txt`, 'x')));
    const first = await app.api('GET', 'datastores/workspaceblobstore/paths?prefix=many/');
    expect(first.body.value).toHaveLength(200);
    const next = new URL(first.body.nextLink);
    const second = await app.api('GET', `datastores/workspaceblobstore/paths${next.search}`);
    expect(second.body.value.map((e: any) => e.name)).toEqual(['many/f200.txt', 'many/f201.txt', 'many/f202.txt', 'many/f203.txt', 'many/f204.txt']);
    expect(second.body.nextLink).toBeUndefined();

    const missing = await app.api('GET', 'datastores/nope/paths');
    expect(missing.status).toBe(404);
  });
});
