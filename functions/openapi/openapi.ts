import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { openApi31, swagger2, type ApiInfo } from '../../lib/openapi/document';
import { appVersion } from '../../lib/version';
import { ROUTE_DOCS } from '../../app/routeDocs';

const version = appVersion();

/** The request's own origin: the document names the host it was fetched from. */
const infoFor = (request: HttpRequest): ApiInfo => ({
  title: 'Batch endpoints on Azure Functions',
  version,
  description: 'Azure ML batch endpoints (management, invoke, jobs) on Azure Functions. Bearer tokens from Microsoft Entra ID with app roles BatchEndpoints.Read, .Invoke, .Manage.',
  origin: new URL(request.url).origin,
});

export const openApiJson = async (request: HttpRequest): Promise<HttpResponseInit> => ({ status: 200, jsonBody: openApi31(ROUTE_DOCS, infoFor(request)) });
export const swaggerJson = async (request: HttpRequest): Promise<HttpResponseInit> => ({ status: 200, jsonBody: swagger2(ROUTE_DOCS, infoFor(request)) });

app.http('openapi-json', { route: 'openapi.json', methods: ['GET'], authLevel: 'anonymous', handler: openApiJson });
app.http('swagger-json', { route: 'swagger.json', methods: ['GET'], authLevel: 'anonymous', handler: swaggerJson });
