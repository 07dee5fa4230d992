import { z } from 'zod';
import { ARM_WORKSPACE_PREFIX } from '../lib/http/armPath';
import { invokeBodySchema } from '../lib/jobs/invokeRequest';
import type { RouteDoc } from '../lib/openapi/routeDoc';
import { healthSchema, jobSchema, listOf, miniBatchErrorSchema, resourceSchema } from '../lib/openapi/shapes';
import { datastoreBodySchema } from '../lib/registry/datastores';
import { deploymentBodySchema } from '../lib/registry/deployments';
import { endpointBodySchema, endpointPatchSchema } from '../lib/registry/endpoints';
import { codeBodySchema } from '../lib/registry/codes';
import { dataBodySchema } from '../lib/registry/data';
import { modelBodySchema } from '../lib/registry/models';

/**
 * Every HTTP route the app registers, described for the contract (`GET /api/openapi.json`,
 * `/api/swagger.json`). A route added without a line here fails test/e2e/openapi.test.ts, which
 * compares the host's registrations with the document. Here (not in functions/) so
 * `scripts/connector.ts` can build the connector's definition without starting the app. Bodies are the schemas the routes validate with.
 */

const resourceList = listOf(resourceSchema, 'ResourceList');
const jobList = listOf(jobSchema, 'BatchJobList');
const errorList = listOf(miniBatchErrorSchema, 'MiniBatchErrorList');
const ASYNC_HEADERS = { Location: 'the job URL to poll', 'Retry-After': 'seconds to wait before polling' };
const paging = [
  { name: '$top', in: 'query' as const, description: 'page size', type: 'integer' as const },
  { name: '$skiptoken', in: 'query' as const, description: 'continuation from nextLink' },
];
const get = (r: Omit<RouteDoc, 'method'>): RouteDoc => ({ ...r, method: 'GET' });

function managed(collection: string, tag: string, label: string, body: z.ZodType, fn: string, route: string, opts: { list?: string; patch?: z.ZodType; del?: boolean } = {}): RouteDoc[] {
  const docs: RouteDoc[] = [
    get({ function: `${fn}-get`, route, operationId: `${collection}_Get`, summary: `Get a ${label}`, tag, role: 'BatchEndpoints.Read', responses: { '200': { description: `The ${label}`, schema: resourceSchema } } }),
    { function: `${fn}-put`, method: 'PUT', route, operationId: `${collection}_CreateOrUpdate`, summary: `Create or replace a ${label}`, tag, role: 'BatchEndpoints.Manage', body, responses: { '200': { description: 'Replaced', schema: resourceSchema }, '201': { description: 'Created', schema: resourceSchema } } },
  ];
  if (opts.list) docs.push(get({ function: `${fn}-list`, route: opts.list, operationId: `${collection}_List`, summary: `List ${label}s`, tag, role: 'BatchEndpoints.Read', responses: { '200': { description: `The ${label}s`, schema: resourceList } } }));
  if (opts.patch) docs.push({ function: `${fn}-patch`, method: 'PATCH', route, operationId: `${collection}_Update`, summary: `Update a ${label}`, tag, role: 'BatchEndpoints.Manage', body: opts.patch, responses: { '200': { description: 'Updated', schema: resourceSchema } } });
  if (opts.del) docs.push({ function: `${fn}-delete`, method: 'DELETE', route, operationId: `${collection}_Delete`, summary: `Delete a ${label}`, tag, role: 'BatchEndpoints.Manage', responses: { '200': { description: 'Deleted' }, '204': { description: 'There was nothing to delete' } } });
  return docs;
}

const assetRoutes = (collection: 'models' | 'codes' | 'data', label: string, body: z.ZodType): RouteDoc[] =>
  managed(collection, 'Assets', label, body, `${collection}-versions`, `${collection}/{name}/versions/{version}`, {}).concat(
    get({ function: `${collection}-versions-list`, route: `${collection}/{name}/versions`, operationId: `${collection}_ListVersions`, summary: `List a ${label}'s versions`, tag: 'Assets', role: 'BatchEndpoints.Read', responses: { '200': { description: 'The versions', schema: resourceList } } }),
  );

const BASE_DOCS: RouteDoc[] = [
  {
    function: 'jobs-invoke',
    method: 'POST',
    route: 'batchEndpoints/{endpoint}/jobs',
    operationId: 'BatchJobs_Invoke',
    summary: 'Invoke a batch endpoint',
    description: 'Starts a batch job over a folder or file. Azure ML clients get 200/201 with the job; with `Prefer: respond-async` the answer is 202 with Location and Retry-After, to poll until the job is final.',
    tag: 'Jobs',
    role: 'BatchEndpoints.Invoke',
    visibility: 'important',
    body: invokeBodySchema,
    parameters: [
      { name: 'azureml-model-deployment', in: 'header', description: 'a deployment other than the default', important: true },
      { name: 'x-ms-client-request-id', in: 'header', description: 'makes the invoke idempotent: the same id returns the same job' },
      { name: 'Prefer', in: 'header', description: 'respond-async: answer 202 with Location (the Logic Apps async pattern)', enum: ['respond-async'] },
    ],
    responses: {
      '200': { description: 'The job (an earlier invoke with the same request id)', schema: jobSchema },
      '201': { description: 'The job was created', schema: jobSchema },
      '202': { description: 'The job was created and runs: poll Location', schema: jobSchema, headers: ASYNC_HEADERS },
    },
  },
  get({ function: 'jobs-list', route: 'batchEndpoints/{endpoint}/jobs', operationId: 'BatchJobs_List', summary: 'List jobs, newest first', tag: 'Jobs', role: 'BatchEndpoints.Read', parameters: [...paging, { name: 'status', in: 'query', description: 'comma-separated statuses' }], responses: { '200': { description: 'A page of jobs', schema: jobList } } }),
  get({ function: 'jobs-get', route: 'batchEndpoints/{endpoint}/jobs/{jobId}', operationId: 'BatchJobs_Get', summary: 'Get a job', tag: 'Jobs', role: 'BatchEndpoints.Read', visibility: 'important', responses: { '200': { description: 'The job (final, or for Azure ML clients)', schema: jobSchema }, '202': { description: 'The job is still running (async pattern): poll Location', schema: jobSchema, headers: ASYNC_HEADERS } } }),
  { function: 'jobs-cancel', method: 'POST', route: 'batchEndpoints/{endpoint}/jobs/{jobId}/cancel', operationId: 'BatchJobs_Cancel', summary: 'Cancel a job', tag: 'Jobs', role: 'BatchEndpoints.Invoke', responses: { '200': { description: 'The job', schema: jobSchema }, '202': { description: 'Cancel requested', schema: jobSchema, headers: ASYNC_HEADERS } } },
  get({ function: 'jobs-errors', route: 'batchEndpoints/{endpoint}/jobs/{jobId}/errors', operationId: 'BatchJobs_ListErrors', summary: "List a job's failed mini-batches and items", tag: 'Jobs', role: 'BatchEndpoints.Read', parameters: paging, responses: { '200': { description: 'A page of failures', schema: errorList } } }),
  get({ function: 'jobs-output', route: 'batchEndpoints/{endpoint}/jobs/{jobId}/output', operationId: 'BatchJobs_GetOutput', summary: "Read a completed job's output file", tag: 'Jobs', role: 'BatchEndpoints.Read', visibility: 'important', parameters: [{ name: 'Range', in: 'header', description: 'bytes=a-b for a part of a large output' }], responses: { '200': { description: 'The output (CSV, no header)', contentType: 'text/csv' }, '206': { description: 'The requested range', contentType: 'text/csv' } } }),
  ...managed('BatchEndpoints', 'Endpoints', 'batch endpoint', endpointBodySchema, 'batchEndpoints', 'batchEndpoints/{endpoint}', { list: 'batchEndpoints', patch: endpointPatchSchema, del: true }),
  ...managed('BatchDeployments', 'Deployments', 'deployment', deploymentBodySchema, 'deployments', 'batchEndpoints/{endpoint}/deployments/{deployment}', { list: 'batchEndpoints/{endpoint}/deployments', del: true }),
  ...managed('Datastores', 'Datastores', 'datastore', datastoreBodySchema, 'datastores', 'datastores/{name}', { list: 'datastores', del: true }),
  ...assetRoutes('models', 'model', modelBodySchema),
  ...assetRoutes('codes', 'code asset', codeBodySchema),
  ...assetRoutes('data', 'data asset', dataBodySchema),
  get({ function: 'health', route: 'health', operationId: 'Health_Get', summary: 'Health of the app and its storage', tag: 'Service', visibility: 'internal', responses: { '200': { description: 'Healthy', schema: healthSchema }, '503': { description: 'Unhealthy', schema: healthSchema } } }),
  get({ function: 'openapi-json', route: 'openapi.json', operationId: 'Contract_OpenApi', summary: 'This contract as OpenAPI 3.1', tag: 'Service', visibility: 'internal', responses: { '200': { description: 'OpenAPI 3.1', schema: z.looseObject({}) } } }),
  get({ function: 'swagger-json', route: 'swagger.json', operationId: 'Contract_Swagger', summary: 'This contract as OpenAPI 2.0 (custom connectors)', tag: 'Service', visibility: 'internal', responses: { '200': { description: 'OpenAPI 2.0', schema: z.looseObject({}) } } }),
];

const anyJson = z.looseObject({});
const notNeeded = (collection: string, fn: string, route: string, label: string): RouteDoc[] =>
  (['GET', 'PUT', 'DELETE'] as const).map((method) => ({
    function: fn,
    method,
    route,
    operationId: `${collection}_${method === 'GET' ? 'Get' : method === 'PUT' ? 'CreateOrUpdate' : 'Delete'}`,
    summary: `Azure-only ${label}: accepted, not stored (a NotNeeded warning)`,
    tag: 'Azure ML compatibility',
    role: method === 'GET' ? ('BatchEndpoints.Read' as const) : ('BatchEndpoints.Manage' as const),
    visibility: 'internal' as const,
    responses: { '200': { description: 'Not needed here: the answer carries a NotNeeded warning', schema: anyJson } },
  }));
const assetExtras = (collection: 'models' | 'codes' | 'data', label: string): RouteDoc[] => [
  get({ function: `${collection}-list`, route: collection, operationId: `${collection}_ListAll`, summary: `List every ${label} with its latest version`, tag: 'Assets', role: 'BatchEndpoints.Read', responses: { '200': { description: `The ${label}s`, schema: resourceList } } }),
  { function: `${collection}-versions-upload`, method: 'POST', route: `${collection}/{name}/versions/{version}/startPendingUpload`, operationId: `${collection}_StartPendingUpload`, summary: `Start a local upload for a ${label} version (a SAS to the workspace folder)`, tag: 'Assets', role: 'BatchEndpoints.Manage', body: anyJson, responses: { '200': { description: 'The folder to upload to, its SAS and the asset URI to register', schema: anyJson } } },
  get({ function: `${collection}-container`, route: `${collection}/{name}`, operationId: `${collection}_GetContainer`, summary: `Get a ${label} container (Azure ML's versionless resource)`, tag: 'Azure ML compatibility', role: 'BatchEndpoints.Read', visibility: 'internal', responses: { '200': { description: 'The container', schema: anyJson } } }),
  { function: `${collection}-container`, method: 'PUT', route: `${collection}/{name}`, operationId: `${collection}_CreateOrUpdateContainer`, summary: `Create a ${label} container (accepted, not needed here)`, tag: 'Azure ML compatibility', role: 'BatchEndpoints.Manage', visibility: 'internal', body: anyJson, responses: { '200': { description: 'Accepted with a NotNeeded warning', schema: anyJson } } },
];
const STUDIO_DOCS: RouteDoc[] = [
  get({ function: 'datastores-paths', route: 'datastores/{name}/paths', operationId: 'Datastores_ListPaths', summary: "List one folder level of a datastore (folders, then files with sizes)", tag: 'Datastores', role: 'BatchEndpoints.Read', parameters: [{ name: 'prefix', in: 'query', description: 'the folder, ending in /' }, ...paging], responses: { '200': { description: 'A page of folders and files', schema: anyJson } } }),
  get({ function: 'jobs-minibatches', route: 'batchEndpoints/{endpoint}/jobs/{jobId}/miniBatches', operationId: 'BatchJobs_ListMiniBatches', summary: "List a job's mini-batches: status, files, attempts, timings", tag: 'Jobs', role: 'BatchEndpoints.Read', parameters: [{ name: 'from', in: 'query', description: 'first mini-batch index', type: 'integer' }, ...paging], responses: { '200': { description: 'A page of mini-batches', schema: anyJson } } }),
  get({ function: 'studio-config', route: 'studio/config.json', operationId: 'Studio_Config', summary: 'How the studio page signs in (local issuer or MSAL)', tag: 'Studio', visibility: 'internal', responses: { '200': { description: 'The sign-in configuration', schema: anyJson } } }),
  { function: 'studio-local-token', method: 'POST', route: 'studio/local-token', operationId: 'Studio_LocalToken', summary: 'A token for chosen roles from the local issuer (never in Azure)', tag: 'Studio', visibility: 'internal', body: anyJson, responses: { '200': { description: 'A token', schema: anyJson } } },
  get({ function: 'studio', route: 'studio/{*path}', operationId: 'Studio_Page', summary: 'The studio web page and its assets', tag: 'Studio', visibility: 'internal', responses: { '200': { description: 'A page or asset', contentType: 'text/html' } } }),
  { function: 'studio', method: 'HEAD', route: 'studio/{*path}', operationId: 'Studio_PageHead', summary: 'The studio web page and its assets (headers only)', tag: 'Studio', visibility: 'internal', responses: { '200': { description: 'Headers of a page or asset' } } },
];
const COMPAT_DOCS: RouteDoc[] = [
  get({ function: 'jobs-logs', route: 'batchEndpoints/{endpoint}/jobs/{jobId}/logs/{*name}', operationId: 'BatchJobs_GetLogs', summary: "List a job's log files, or read one (text)", tag: 'Jobs', role: 'BatchEndpoints.Read', responses: { '200': { description: 'The log list (no name), or one log as text', schema: anyJson } } }),
  get({ function: 'jobs-get-by-id', route: 'jobs/{jobId}', operationId: 'Jobs_Get', summary: 'Get any job by id, also after its endpoint was deleted', tag: 'Jobs', role: 'BatchEndpoints.Read', responses: { '200': { description: 'The job', schema: jobSchema } } }),
  ...assetExtras('models', 'model'),
  ...assetExtras('codes', 'code asset'),
  ...assetExtras('data', 'data asset'),
  ...notNeeded('Computes', 'computes-not-needed', 'computes/{name}', 'compute'),
  ...notNeeded('Environments', 'environments-not-needed', 'environments/{name}', 'environment'),
  ...notNeeded('EnvironmentVersions', 'environment-versions-not-needed', 'environments/{name}/versions/{version}', 'environment version'),
];

/** Routes served only at their own path (functions registered without the ARM workspace alias). */
const NO_ARM_ALIAS = new Set(['health', 'openapi-json', 'swagger-json', 'studio-config', 'studio-local-token', 'studio']);

/** The same operation under Azure ML's ARM workspace path (functions/shared/routes.ts registers both). */
const armAlias = (d: RouteDoc): RouteDoc => ({ ...d, function: `${d.function}-arm`, route: ARM_WORKSPACE_PREFIX + d.route, operationId: `${d.operationId}_Workspace`, visibility: 'internal' });

const OWN_DOCS = [...BASE_DOCS, ...COMPAT_DOCS, ...STUDIO_DOCS];
export const ROUTE_DOCS: RouteDoc[] = [...OWN_DOCS, ...OWN_DOCS.filter((d) => !NO_ARM_ALIAS.has(d.function)).map(armAlias)];
