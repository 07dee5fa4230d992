import { deploymentWarmer, functionTimeout } from '../../app/services';
import { route } from '../shared/routes';
import { DEPLOYMENT_DEFAULTS } from '../../lib/registry/deploymentSettings';
import { checkTimeoutFitsHost } from '../../lib/registry/functionTimeout';
import { deleteResponse, handle, param, putResponse, readResourceBody, registry, withWarnings, type Handler } from './common';

const { deployments } = registry;

export const listDeployments: Handler = (request, context) =>
  handle(request, context, 'Read', async () => ({
    jsonBody: { value: (await deployments.list(param(request, 'endpoint'))).map((d) => deployments.envelope(d)) },
  }));

export const getDeployment: Handler = (request, context) =>
  handle(request, context, 'Read', async () => ({
    jsonBody: deployments.envelope(await deployments.get(param(request, 'endpoint'), param(request, 'deployment'))),
  }));

/** A mini-batch timeout the host would cut short is refused before the deployment is written (lib/registry/functionTimeout). */
function refuseTimeoutPastHost(body: unknown): void {
  const timeout = (body as { properties?: { retrySettings?: { timeout?: unknown } } } | null)?.properties?.retrySettings?.timeout;
  if (timeout !== undefined && typeof timeout !== 'string') return; // the schema says what is wrong
  checkTimeoutFitsHost(timeout ?? DEPLOYMENT_DEFAULTS.timeout, functionTimeout, 'properties.retrySettings.timeout');
}

export const putDeployment: Handler = (request, context) =>
  handle(request, context, 'Manage', async (caller) => {
    const { body, warnings } = await readResourceBody(request, context, 'deployment');
    refuseTimeoutPastHost(body);
    const { deployment, created } = await deployments.put(param(request, 'endpoint'), param(request, 'deployment'), body, caller);
    // Its scoring workers start now, in the background: the PUT neither waits nor fails for them.
    void deploymentWarmer().warm(deployment.endpointName, deployment.name);
    return withWarnings(putResponse(created, deployments.envelope(deployment)), warnings);
  });

export const deleteDeployment: Handler = (request, context) =>
  handle(request, context, 'Manage', async () =>
    deleteResponse(await deployments.delete(param(request, 'endpoint'), param(request, 'deployment'))),
  );

const all = 'batchEndpoints/{endpoint}/deployments';
const one = `${all}/{deployment}`;
route('deployments-list', { route: all, methods: ['GET'], authLevel: 'anonymous', handler: listDeployments });
route('deployments-get', { route: one, methods: ['GET'], authLevel: 'anonymous', handler: getDeployment });
route('deployments-put', { route: one, methods: ['PUT'], authLevel: 'anonymous', handler: putDeployment });
route('deployments-delete', { route: one, methods: ['DELETE'], authLevel: 'anonymous', handler: deleteDeployment });
