import { jobs } from '../../app/services';
import { ApiError } from '../../lib/http/apiError';
import type { JobStatus } from '../../lib/jobs/types';
import { route } from '../shared/routes';
import { baseUrlOf, deleteResponse, handle, param, putResponse, readResourceBody, registry, withWarnings, type Handler } from './common';

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
    const { body, warnings } = await readResourceBody(request, context, 'endpoint');
    const { endpoint, created } = await endpoints.put(param(request, 'endpoint'), body, caller);
    return withWarnings(putResponse(created, endpoints.envelope(endpoint, baseUrlOf(request))), warnings);
  });

export const patchEndpoint: Handler = (request, context) =>
  handle(request, context, 'Manage', async (caller) => {
    const { body, warnings } = await readResourceBody(request, context, 'endpoint');
    const endpoint = await endpoints.patch(param(request, 'endpoint'), body, caller);
    return withWarnings({ jsonBody: endpoints.envelope(endpoint, baseUrlOf(request)) }, warnings);
  });

/** Statuses of a job that still runs (or may still start). */
const RUNNING: JobStatus[] = ['NotStarted', 'Preparing', 'Running', 'Finalizing', 'CancelRequested'];

/**
 * Deletes the endpoint and all its deployments, once none of its jobs runs: a running job needs its
 * deployment, so the delete is refused (409 naming the jobs; cancel them or wait). Ended jobs stay
 * readable at `GET /api/jobs/{id}` after the delete, as in Azure ML.
 */
export const deleteEndpoint: Handler = (request, context) =>
  handle(request, context, 'Manage', async () => {
    const name = param(request, 'endpoint');
    const running = await jobs.list(name, { status: RUNNING, top: 20 });
    if (running.items.length) {
      const ids = running.items.map((j) => j.jobId);
      throw new ApiError(
        409,
        'EndpointHasRunningJobs',
        `Endpoint '${name}' has running jobs: ${ids.join(', ')}${running.continuation ? ' and more' : ''}. Cancel them (POST .../jobs/{id}/cancel) or wait until they end, then delete it.`,
        'endpoint',
        ids.map((id) => ({ code: 'RunningJob', message: `job ${id} is ${running.items.find((j) => j.jobId === id)!.status}`, target: id })),
      );
    }
    return deleteResponse(await endpoints.delete(name));
  });

const one = 'batchEndpoints/{endpoint}';
route('batchEndpoints-list', { route: 'batchEndpoints', methods: ['GET'], authLevel: 'anonymous', handler: listEndpoints });
route('batchEndpoints-get', { route: one, methods: ['GET'], authLevel: 'anonymous', handler: getEndpoint });
route('batchEndpoints-put', { route: one, methods: ['PUT'], authLevel: 'anonymous', handler: putEndpoint });
route('batchEndpoints-patch', { route: one, methods: ['PATCH'], authLevel: 'anonymous', handler: patchEndpoint });
route('batchEndpoints-delete', { route: one, methods: ['DELETE'], authLevel: 'anonymous', handler: deleteEndpoint });
