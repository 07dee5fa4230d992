import { app } from '@azure/functions';
import type { AssetVersions } from '../../lib/registry/assets';
import { handle, registry, type Handler } from './common';

/** `GET <collection>`: every asset of a kind with its latest version (Azure ML's model and data lists). */
function listHandler<P>(assets: AssetVersions<P>): Handler {
  return (request, context) =>
    handle(request, context, 'Read', async () => ({
      jsonBody: { value: (await assets.listLatest()).map((a) => assets.containerEnvelope(a)) },
    }));
}

export const listModels = listHandler(registry.models);
export const listData = listHandler(registry.data);
export const listCodes = listHandler(registry.codes);

app.http('models-list', { route: 'models', methods: ['GET'], authLevel: 'anonymous', handler: listModels });
app.http('data-list', { route: 'data', methods: ['GET'], authLevel: 'anonymous', handler: listData });
app.http('codes-list', { route: 'codes', methods: ['GET'], authLevel: 'anonymous', handler: listCodes });
