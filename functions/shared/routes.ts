import { app, type HttpFunctionOptions, type HttpMethod } from '@azure/functions';

/**
 * Azure ML's ARM path to a workspace. Every route is also served under it, so a user of Azure ML's
 * REST API changes only the host (`https://management.azure.com` -> this app's `/api`); the
 * subscription, group and workspace segments are accepted whatever they say (one workspace per app).
 */
export const ARM_WORKSPACE_PREFIX =
  'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}/';

/** Every route registered through `route`, for `GET /api` and the catch-all's hints. */
export const ROUTES: { methods: HttpMethod[]; route: string }[] = [];

/** Registers an HTTP function on its route and on the same route under the ARM workspace path. */
export function route(name: string, options: HttpFunctionOptions & { route: string; methods: HttpMethod[] }, aliases: { arm?: boolean; listed?: boolean } = {}): void {
  const withDefaults = { authLevel: 'anonymous' as const, ...options };
  app.http(name, withDefaults);
  if (aliases.listed !== false) ROUTES.push({ methods: options.methods, route: options.route });
  if (aliases.arm === false) return;
  app.http(`${name}-arm`, { ...withDefaults, route: ARM_WORKSPACE_PREFIX + options.route });
}
