const { app } = require('@azure/functions');

app.http('hello', {
  route: 'hello/{name?}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: async (request) => {
    const body = request.method === 'POST' ? await request.text() : '';
    return {
      jsonBody: {
        name: request.params.name ?? null,
        query: Object.fromEntries(request.query.entries()),
        header: request.headers.get('x-test') ?? null,
        body,
      },
      headers: { 'x-handled-by': 'hello' },
    };
  },
});

app.http('itemById', {
  route: 'items/{id:int}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request) => ({ jsonBody: { route: 'byId', id: Number(request.params.id) } }),
});

app.http('itemSpecial', {
  route: 'items/special',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: { route: 'special' } }),
});

app.http('itemByName', {
  route: 'items/{name}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request) => ({ jsonBody: { route: 'byName', name: request.params.name } }),
});

app.http('files', {
  route: 'files/{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request) => ({ jsonBody: { path: request.params.path ?? '' } }),
});

app.http('secret', {
  route: 'secret',
  methods: ['GET'],
  authLevel: 'function',
  handler: async () => ({ body: 'function-level ok' }),
});

app.http('adminOnly', {
  route: 'admin-only',
  methods: ['GET'],
  authLevel: 'admin',
  handler: async () => ({ body: 'admin-level ok' }),
});

app.http('boom', {
  route: 'boom',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    throw new Error('handler exploded');
  },
});

app.http('created', {
  route: 'created',
  methods: ['PUT'],
  authLevel: 'anonymous',
  handler: async (request) => {
    const { HttpResponse } = require('@azure/functions');
    return new HttpResponse({ status: 201, jsonBody: await request.json(), headers: { Location: '/api/created/1' } });
  },
});
