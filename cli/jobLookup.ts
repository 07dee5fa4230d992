import { enc, READ } from './client';
import type { Context } from './context';
import { CliError } from './errors';

export const FINAL = new Set(['Completed', 'Failed', 'Canceled']);

export interface LocatedJob {
  endpoint: string;
  job: any;
}

/**
 * A job by name. Jobs live under their endpoint here (`/api/batchEndpoints/{e}/jobs/{id}`);
 * `az ml job show -n` takes no endpoint, so without `--endpoint-name` the workspace-level route
 * (`/api/jobs/{id}`, where the service has it) is asked, then each endpoint.
 */
export async function findJob(ctx: Context, name: string, endpoint?: string): Promise<LocatedJob> {
  if (endpoint) {
    const res = await ctx.client.request('GET', `batchEndpoints/${enc(endpoint)}/jobs/${enc(name)}`, { roles: READ });
    return { endpoint, job: res.body };
  }
  const direct = await ctx.client.request('GET', `jobs/${enc(name)}`, { roles: READ, accept: [404, 405] });
  if (direct.status < 300 && direct.body?.properties?.endpointName) return { endpoint: direct.body.properties.endpointName, job: direct.body };
  const endpoints = await ctx.client.list('batchEndpoints');
  for (const e of endpoints) {
    const res = await ctx.client.request('GET', `batchEndpoints/${enc(e.name)}/jobs/${enc(name)}`, { roles: READ, accept: [404] });
    if (res.status !== 404) return { endpoint: e.name, job: res.body };
  }
  throw new CliError(`Job '${name}' was not found (looked in ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}).`, 3, 'NotFound');
}

export const jobPath = (endpoint: string, name: string) => `batchEndpoints/${enc(endpoint)}/jobs/${enc(name)}`;
