import { route } from '../shared/routes';
import { deleteResponse, handle, param, putResponse, readBody, registry, type Handler } from './common';

const { datastores } = registry;

export const listDatastores: Handler = (request, context) =>
  handle(request, context, 'Read', async () => ({ jsonBody: { value: (await datastores.list()).map((d) => datastores.envelope(d)) } }));

export const getDatastore: Handler = (request, context) =>
  handle(request, context, 'Read', async () => ({ jsonBody: datastores.envelope(await datastores.get(param(request, 'name'))) }));

export const putDatastore: Handler = (request, context) =>
  handle(request, context, 'Manage', async (caller) => {
    const { datastore, created } = await datastores.put(param(request, 'name'), await readBody(request), caller);
    return putResponse(created, datastores.envelope(datastore));
  });

export const deleteDatastore: Handler = (request, context) =>
  handle(request, context, 'Manage', async () => deleteResponse(await datastores.delete(param(request, 'name'))));

route('datastores-list', { route: 'datastores', methods: ['GET'], authLevel: 'anonymous', handler: listDatastores });
route('datastores-get', { route: 'datastores/{name}', methods: ['GET'], authLevel: 'anonymous', handler: getDatastore });
route('datastores-put', { route: 'datastores/{name}', methods: ['PUT'], authLevel: 'anonymous', handler: putDatastore });
route('datastores-delete', { route: 'datastores/{name}', methods: ['DELETE'], authLevel: 'anonymous', handler: deleteDatastore });
