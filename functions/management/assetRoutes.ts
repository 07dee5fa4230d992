import { route } from '../shared/routes';
import type { AssetVersions } from '../../lib/registry/assets';
import { checkName, assetNameSchema, versionSchema } from '../../lib/registry/names';
import { readJsonBody } from '../../lib/http/jsonBody';
import { startPendingUpload } from '../../lib/uploads/pendingUpload';
import { handle, param, putResponse, readResourceBody, uploads, withWarnings, type Handler } from './common';

export interface AssetHandlers {
  list: Handler;
  get: Handler;
  put: Handler;
  startPendingUpload: Handler;
}

/**
 * Handlers and routes for one versioned asset kind (models, codes, data share the same shape):
 * `GET <collection>/{name}/versions`, `GET|PUT <collection>/{name}/versions/{version}`
 * (`GET .../versions/latest` = the newest version), and `POST .../{version}/startPendingUpload`
 * (Azure ML's upload of local files: a workspace folder and a SAS to write it, /work/wt/CONTRACTS.md).
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
        const { body, warnings } = await readResourceBody(request, context, 'asset');
        const { asset, created } = await assets.put(param(request, 'name'), param(request, 'version'), body, caller);
        return withWarnings(putResponse(created, assets.envelope(asset)), warnings);
      }),
    startPendingUpload: (request, context) =>
      handle(request, context, 'Manage', async () => {
        checkName(assetNameSchema, param(request, 'name'), 'name');
        checkName(versionSchema, param(request, 'version'), 'version');
        const body = await readJsonBody(request, { maxBytes: 4096, required: false });
        return { status: 200, jsonBody: await startPendingUpload(uploads, body) };
      }),
  };
  const all = `${collection}/{name}/versions`;
  const one = `${all}/{version}`;
  route(`${collection}-versions-list`, { route: all, methods: ['GET'], authLevel: 'anonymous', handler: handlers.list });
  route(`${collection}-versions-get`, { route: one, methods: ['GET'], authLevel: 'anonymous', handler: handlers.get });
  route(`${collection}-versions-put`, { route: one, methods: ['PUT'], authLevel: 'anonymous', handler: handlers.put });
  route(`${collection}-versions-upload`, { route: `${one}/startPendingUpload`, methods: ['POST'], handler: handlers.startPendingUpload });
  return handlers;
}
