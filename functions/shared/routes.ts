import { app, type HttpFunctionOptions, type HttpMethod } from '@azure/functions';

import { ARM_WORKSPACE_PREFIX } from '../../lib/http/armPath';

export { ARM_WORKSPACE_PREFIX };

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
