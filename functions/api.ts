import type { HttpHandler } from '@azure/functions';
import { settings } from '../app/settings';
import { ALL_ROLES } from '../lib/auth/roles';
import { ApiError, toErrorResponse } from '../lib/http/apiError';
import { afterArmWorkspace } from '../lib/http/armPath';
import { routeMiss } from '../lib/http/routeHints';
import { appVersion } from '../lib/version';
import { ARM_WORKSPACE_PREFIX, ROUTES, route } from './shared/routes';

const auth = settings().auth;

/** `GET /api`: what this service is, its routes and how to sign in (no token needed, nothing secret). */
function describe(origin: string) {
  return {
    name: 'batch-endpoints-functions',
    description: "Azure Machine Learning batch endpoints on Azure Functions: Azure ML's REST shapes under /api.",
    version: appVersion(),
    auth: auth.disabled
      ? { disabled: true }
      : { scheme: 'Bearer', issuers: auth.issuers, audiences: auth.audiences, roles: ALL_ROLES },
    armAlias: `${origin}/api/${ARM_WORKSPACE_PREFIX}...  (every route below, as on management.azure.com)`,
    routes: ROUTES.map((r) => ({ methods: r.methods, route: `/api/${r.route}` })),
    docs: 'README.md (user guide), docs/',
  };
}

/**
 * Everything no other route takes (the host prefers literal and parameter routes over a catch-all):
 * `GET /api` describes the service; anything else answers the error shape, 405 with the allowed
 * methods when the path exists, else 404 with the routes nearby.
 */
export const catchAll: HttpHandler = async (request) => {
  const url = new URL(request.url);
  const underApi = url.pathname.replace(/^\/api\/?/i, '');
  // ARM-shaped paths are matched as the plain ones they alias
  const path = afterArmWorkspace(underApi) ?? underApi;
  if (path.replace(/\/+$/, '') === '' && request.method === 'GET') return { status: 200, jsonBody: describe(url.origin) };
  const miss = routeMiss(ROUTES, request.method, path);
  const err =
    miss.kind === 'method'
      ? new ApiError(405, 'MethodNotAllowed', `${request.method} is not allowed on /api/${path}; allowed: ${miss.allowed.join(', ')}.`, 'method')
      : new ApiError(404, 'RouteNotFound', `No route /api/${path}. Routes nearby: ${miss.nearby.slice(0, 12).join('; ')}. GET /api lists them all.`, 'path');
  const response = toErrorResponse(err);
  return miss.kind === 'method' ? { ...response, headers: { Allow: miss.allowed.join(', ') } } : response;
};

route(
  'catch-all',
  { route: '{*path}', methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], handler: catchAll },
  { arm: false, listed: false },
);
