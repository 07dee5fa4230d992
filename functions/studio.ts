import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { resolve } from 'node:path';
import { settings } from '../app/settings';
import { ALL_ROLES } from '../lib/auth/roles';
import { readJsonBody } from '../lib/http/jsonBody';
import { toErrorResponse } from '../lib/http/apiError';
import { localToken } from '../lib/studio/localSignIn';
import { StaticFiles } from '../lib/studio/staticFiles';
import { contentSecurityPolicy, studioConfig } from '../lib/studio/studioConfig';

/**
 * The studio web page, served by this app under `/api/studio/` (the host's routePrefix is `api`,
 * and on the real host no route can leave it). The page is public; it calls the API with a token.
 */
const appRoot = resolve(__dirname, '..', '..');
const { studio, auth } = settings();
const config = studioConfig(studio, auth, ALL_ROLES);
const files = new StaticFiles(resolve(appRoot, 'dist', 'studio'), { 'Content-Security-Policy': contentSecurityPolicy(config) });

export async function studioPage(request: HttpRequest): Promise<HttpResponseInit> {
  const answer = await files.answer(request.params['path']);
  return { status: answer.status, headers: answer.headers, body: answer.body };
}

export async function studioSettings(): Promise<HttpResponseInit> {
  return { jsonBody: config, headers: { 'Cache-Control': 'no-store' } };
}

/** POST only from the page itself: a cross-site form or script gets nothing. */
export async function studioLocalToken(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const origin = request.headers.get('origin');
    if (origin && origin !== new URL(request.url).origin) {
      return { status: 403, jsonBody: { error: { code: 'Forbidden', message: 'Local sign-in answers only the studio page itself.' } } };
    }
    const body = (await readJsonBody(request, { maxBytes: 4096 })) as { roles?: unknown } | undefined;
    return { jsonBody: await localToken(studio, auth, appRoot, body?.roles), headers: { 'Cache-Control': 'no-store' } };
  } catch (err) {
    const response = toErrorResponse(err);
    if (response.status >= 500 && response.jsonBody.error.code === 'InternalError') context.error('local sign-in failed', err);
    return response;
  }
}

app.http('studio-config', { route: 'studio/config.json', methods: ['GET'], authLevel: 'anonymous', handler: studioSettings });
app.http('studio-local-token', { route: 'studio/local-token', methods: ['POST'], authLevel: 'anonymous', handler: studioLocalToken });
app.http('studio', { route: 'studio/{*path}', methods: ['GET', 'HEAD'], authLevel: 'anonymous', handler: studioPage });
