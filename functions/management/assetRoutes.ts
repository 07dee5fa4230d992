import { app } from '@azure/functions';
import type { AssetVersions } from '../../lib/registry/assets';
import { handle, param, putResponse, readBody, type Handler } from './common';

export interface AssetHandlers {
  list: Handler;
  get: Handler;
  put: Handler;
}

/**
 * Handlers and routes for one versioned asset kind (models, codes, data share the same shape):
 * `GET <collection>/{name}/versions`, `GET|PUT <collection>/{name}/versions/{version}`
 * (`GET .../versions/latest` = the newest version).
 */
export function registerAssetRoutes<P>(collection: string, assets: AssetVersions<P>): AssetHandlers {
  const handlers: AssetHandlers = {
    list: (request, context) =>
      handle(request, context, 'Read', async () => ({
        jsonBody: { value: (await assets.list(param(request, 'name'))).map((a) => assets.envelope(a)) },
      })),
    get: (request, context) =>
      handle(request, context, 'Read', async () => ({
        jsonBody: assets.envelope(await assets.get(param(request, 'name'), param(request, 'version'))),
      })),
    put: (request, context) =>
      handle(request, context, 'Manage', async (caller) => {
        const { asset, created } = await assets.put(param(request, 'name'), param(request, 'version'), await readBody(request), caller);
        return putResponse(created, assets.envelope(asset));
      }),
  };
  const all = `${collection}/{name}/versions`;
  const one = `${all}/{version}`;
  app.http(`${collection}-versions-list`, { route: all, methods: ['GET'], authLevel: 'anonymous', handler: handlers.list });
  app.http(`${collection}-versions-get`, { route: one, methods: ['GET'], authLevel: 'anonymous', handler: handlers.get });
  app.http(`${collection}-versions-put`, { route: one, methods: ['PUT'], authLevel: 'anonymous', handler: handlers.put });
  return handlers;
}
