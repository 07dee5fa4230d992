import type { HttpRequest } from '@azure/functions';
import { notFound } from '../../lib/http/apiError';
import type { AssetVersions } from '../../lib/registry/assets';
import { route } from '../shared/routes';
import { handle, param, readBody, registry, type Handler } from './common';

/**
 * Azure ML resources this service has no use for, answered so that scripts written for Azure ML
 * (its REST sample creates a compute cluster and an environment before the deployment) run on:
 * a write is accepted, not stored, and its answer says why in `warnings`; a read answers the same.
 */
const WHY = {
  computes: "there are no compute clusters: mini-batches run on the function app's instances (deployments' compute is ignored)",
  environments: "there are no environment images: scoring scripts run on Node in the app and may require the app's npm packages (deployments' environmentId is ignored)",
} as const;

function notNeeded(kind: keyof typeof WHY, typeName: string): Handler {
  return (request, context) =>
    handle(request, context, request.method === 'GET' ? 'Read' : 'Manage', async () => {
      if (request.method === 'DELETE') return { status: 204 };
      const body = request.method === 'PUT' ? await readBody(request) : undefined;
      const sent = (body as { properties?: unknown } | undefined)?.properties ?? {};
      const name = [param(request, 'name'), param(request, 'version')].filter(Boolean).join('/versions/');
      context.log(`${request.method} ${kind}/${name}: not needed here (${WHY[kind]}).`);
      return {
        status: 200,
        jsonBody: {
          id: `/api/${kind}/${name}`,
          name: param(request, 'version') || param(request, 'name'),
          type: `Microsoft.MachineLearningServices/workspaces/${typeName}`,
          properties: { ...(sent as object), provisioningState: 'Succeeded' },
          warnings: [{ code: 'NotNeeded', target: kind, message: `Accepted and not stored: ${WHY[kind]}.` }],
        },
      };
    });
}

/**
 * An asset container (`models/{name}` without a version, which Azure ML's REST sample creates
 * first): a container exists here once it has a version, so a PUT is accepted with a warning and
 * a GET answers the newest version's container.
 */
function container(collection: string, assets: AssetVersions<unknown>): Handler {
  return (request: HttpRequest, context) =>
    handle(request, context, request.method === 'GET' ? 'Read' : 'Manage', async () => {
      const name = param(request, 'name');
      const latest = (await assets.list(name))[0];
      if (request.method === 'GET') {
        if (!latest) throw notFound(`${collection} '${name}'`, 'name');
        return { status: 200, jsonBody: assets.containerEnvelope(latest) };
      }
      await readBody(request);
      const message = `Accepted and not stored: ${collection} containers are made by their first version (PUT .../${collection}/${name}/versions/{version}); put the description and tags on the version.`;
      return {
        status: 200,
        jsonBody: {
          ...(latest ? assets.containerEnvelope(latest) : { id: `/api/${collection}/${name}`, name, type: `Microsoft.MachineLearningServices/workspaces/${collection}`, properties: {} }),
          warnings: [{ code: 'NotNeeded', target: collection, message }],
        },
      };
    });
}

const methods: ('GET' | 'PUT' | 'DELETE')[] = ['GET', 'PUT', 'DELETE'];
route('computes-not-needed', { route: 'computes/{name}', methods, handler: notNeeded('computes', 'computes') });
route('environments-not-needed', { route: 'environments/{name}', methods, handler: notNeeded('environments', 'environments') });
route('environment-versions-not-needed', { route: 'environments/{name}/versions/{version}', methods, handler: notNeeded('environments', 'environments/versions') });
for (const [collection, assets] of [['models', registry.models], ['codes', registry.codes], ['data', registry.data]] as const) {
  route(`${collection}-container`, { route: `${collection}/{name}`, methods: ['GET', 'PUT'], handler: container(collection, assets as AssetVersions<unknown>) });
}
