import { route } from '../shared/routes';
import { baseUrlOf, deleteResponse, handle, param, putResponse, readBody, registry, type Handler } from './common';

const { endpoints } = registry;

export const listEndpoints: Handler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const base = baseUrlOf(request);
    return { jsonBody: { value: (await endpoints.list()).map((e) => endpoints.envelope(e, base)) } };
  });

export const getEndpoint: Handler = (request, context) =>
  handle(request, context, 'Read', async () => ({
    jsonBody: endpoints.envelope(await endpoints.get(param(request, 'endpoint')), baseUrlOf(request)),
  }));

export const putEndpoint: Handler = (request, context) =>
  handle(request, context, 'Manage', async (caller) => {
    const { endpoint, created } = await endpoints.put(param(request, 'endpoint'), await readBody(request), caller);
    return putResponse(created, endpoints.envelope(endpoint, baseUrlOf(request)));
  });

export const patchEndpoint: Handler = (request, context) =>
  handle(request, context, 'Manage', async (caller) => {
    const endpoint = await endpoints.patch(param(request, 'endpoint'), await readBody(request), caller);
    return { jsonBody: endpoints.envelope(endpoint, baseUrlOf(request)) };
  });

/** Deletes the endpoint and all its deployments. */
export const deleteEndpoint: Handler = (request, context) =>
  handle(request, context, 'Manage', async () => deleteResponse(await endpoints.delete(param(request, 'endpoint'))));

const one = 'batchEndpoints/{endpoint}';
route('batchEndpoints-list', { route: 'batchEndpoints', methods: ['GET'], authLevel: 'anonymous', handler: listEndpoints });
route('batchEndpoints-get', { route: one, methods: ['GET'], authLevel: 'anonymous', handler: getEndpoint });
route('batchEndpoints-put', { route: one, methods: ['PUT'], authLevel: 'anonymous', handler: putEndpoint });
route('batchEndpoints-patch', { route: one, methods: ['PATCH'], authLevel: 'anonymous', handler: patchEndpoint });
route('batchEndpoints-delete', { route: one, methods: ['DELETE'], authLevel: 'anonymous', handler: deleteEndpoint });
