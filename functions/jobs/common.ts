import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type * as df from 'durable-functions';
import { dataDeps, functionTimeout, idempotency, jobs, outputClaims, registry } from '../../app/services';
import type { CreateJobDeps } from '../../lib/jobs/createJob';
import type { OrchestrationState } from '../../lib/jobs/endedOrchestration';
import { jobResource } from '../../lib/jobs/jobResource';
import { startJobOrchestration } from '../../lib/jobs/startJob';
import { isTerminal } from '../../lib/jobs/status';
import { messageOf } from '../../lib/util/messageOf';
import type { JobRecord } from '../../lib/jobs/types';

// What the job routes share: the job's URL and response, paging links, and the durable client.

export { handle } from '../shared/handle';

/** Seconds a poller should wait before asking again (Logic Apps honours it). */
export const RETRY_AFTER = '5';

/** A route parameter (the host always supplies declared ones; '' keeps validation in one place). */
export const param = (request: HttpRequest, name: string): string => request.params[name] ?? '';

export const jobUrl = (request: HttpRequest, job: JobRecord) =>
  `${new URL(request.url).origin}/api/batchEndpoints/${encodeURIComponent(job.spec.endpointName)}/jobs/${job.jobId}`;

/** 202 + Location + Retry-After while the job runs (async request-reply), 200 once it is final. */
export function jobResponse(request: HttpRequest, job: JobRecord): HttpResponseInit {
  if (isTerminal(job.status)) return { status: 200, jsonBody: jobResource(job, new URL(request.url).origin) };
  return { status: 202, jsonBody: jobResource(job, new URL(request.url).origin), headers: { Location: jobUrl(request, job), 'Retry-After': RETRY_AFTER } };
}

/** The caller asked for the async request-reply pattern (RFC 7240 `Prefer: respond-async`). */
export const wantsAsync = (request: HttpRequest): boolean =>
  (request.headers.get('prefer') ?? '').split(',').some((p) => p.trim().toLowerCase() === 'respond-async');

/** The next page's URL: this request's URL with `$skiptoken` set (ARM's paging convention). */
export function nextLinkOf(request: HttpRequest, continuation: string | undefined): string | undefined {
  if (!continuation) return undefined;
  const next = new URL(request.url);
  next.searchParams.set('$skiptoken', continuation);
  return next.href.replace(/%24(top|skiptoken)=/g, '$$$1=');
}

/** The endpoint named in the route (404 naming it when it is missing). */
export const existingEndpoint = (request: HttpRequest) => registry.endpoints.get(param(request, 'endpoint'));

/** The job named in the route, of an endpoint that exists (404 otherwise). */
export async function jobOf(request: HttpRequest): Promise<JobRecord> {
  const endpoint = await existingEndpoint(request);
  return jobs.getOrThrow(endpoint.name, param(request, 'jobId'));
}

/** What createJob needs from this app: the stores, and starting the orchestration once (a retried invoke or drop finds it started). */
export function jobCreation(client: df.DurableClient): CreateJobDeps {
  return {
    registry,
    jobs,
    idempotency,
    outputClaims,
    data: dataDeps,
    now: () => new Date(),
    ...(functionTimeout ? { functionTimeout } : {}),
    startOrchestration: async (record) => {
      await startJobOrchestration(client, record);
    },
  };
}

/** A job's orchestration as the durable client reports it, or 'missing'. */
export async function orchestrationOf(client: df.DurableClient, jobId: string): Promise<OrchestrationState | 'missing'> {
  try {
    return await client.getStatus(jobId);
  } catch (err) {
    // The SDK reports an unknown instance only through its message.
    if (/HTTP 404/.test(messageOf(err))) return 'missing';
    throw err;
  }
}
