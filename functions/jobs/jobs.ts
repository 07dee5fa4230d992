import { type HttpHandler, type InvocationContext } from '@azure/functions';
import { notFound } from '../../lib/http/apiError';
import type { JobRecord } from '../../lib/jobs/types';
import { route } from '../shared/routes';
import * as df from 'durable-functions';
import { jobActivities, jobs } from '../../app/services';
import { settings } from '../../app/settings';
import { jobResource } from '../../lib/jobs/jobResource';
import { settle } from '../../lib/jobs/settle';
import { startJobOrchestration } from '../../lib/jobs/startJob';
import type { JobStatus } from '../../lib/jobs/types';
import { existingEndpoint, handle, jobOf, jobResponse, nextLinkOf, orchestrationOf } from './common';

const SETTLE_GRACE_MS = settings().jobs.settleGraceMs;

/**
 * The job list's metadata filters: `experimentName`, `displayName` (exact), `tag=<key>` or
 * `tag=<key>=<value>` (Azure ML's job list `tag` parameter; repeat it to require several).
 */
function metadataFilter(query: URLSearchParams): ((job: JobRecord) => boolean) | undefined {
  const experimentName = query.get('experimentName');
  const displayName = query.get('displayName');
  const tags = query.getAll('tag').map((t) => {
    const at = t.indexOf('=');
    return at < 0 ? { key: t, value: undefined } : { key: t.slice(0, at), value: t.slice(at + 1) };
  });
  if (experimentName === null && displayName === null && !tags.length) return undefined;
  return (job) => {
    const m = job.spec.metadata ?? {};
    if (experimentName !== null && m.experimentName !== experimentName) return false;
    if (displayName !== null && m.displayName !== displayName) return false;
    return tags.every(({ key, value }) => m.tags?.[key] !== undefined && (value === undefined || m.tags[key] === value));
  };
}

/** One page of the endpoint's jobs, newest first, optionally of some statuses. */
export const listJobs: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const endpoint = await existingEndpoint(request);
    const topText = request.query.get('$top');
    const top = topText === null ? undefined : Number(topText);
    const statuses = (request.query.get('status') ?? '').split(',').filter(Boolean) as JobStatus[];
    const where = metadataFilter(request.query);
    const page = await jobs.list(endpoint.name, {
      top,
      continuation: request.query.get('$skiptoken') ?? undefined,
      status: statuses.length ? statuses : undefined,
      ...(where ? { where } : {}),
    });
    const nextLink = nextLinkOf(request, page.continuation);
    const origin = new URL(request.url).origin;
    return { status: 200, jsonBody: { value: page.items.map((j) => jobResource(j, origin)), ...(nextLink ? { nextLink } : {}) } };
  });

/** The job; a job that is stuck (no orchestration, or one that ended without it) is settled first (lib/jobs/settle). */
export const getJob: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => jobResponse(request, await settled(await jobOf(request), context)));

/**
 * Azure ML's workspace-level job (`GET /api/jobs/{id}`, `az ml job show`): any endpoint's job, also
 * after its endpoint was deleted. Always 200, as the SDK's job polling expects (README: statuses).
 */
export const getWorkspaceJob: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const jobId = request.params['jobId'] ?? '';
    const job = await jobs.findById(jobId);
    if (!job) throw notFound(`Job '${jobId}'`, 'jobId');
    return { status: 200, jsonBody: jobResource(await settled(job, context), new URL(request.url).origin) };
  });

/** The job after the stuck-job rule. */
async function settled(job: JobRecord, context: InvocationContext): Promise<JobRecord> {
    const client = df.getClient(context);
    return settle(job, {
      jobs,
      orchestration: (jobId) => orchestrationOf(client, jobId),
      start: (record) => startJobOrchestration(client, record),
      finish: (finishRequest) => jobActivities().finish(finishRequest),
      graceMs: SETTLE_GRACE_MS,
      now: () => new Date(),
      log: (message) => context.log(message),
      warn: (message) => context.warn(message),
    });
}

route('jobs-list', { route: 'batchEndpoints/{endpoint}/jobs', methods: ['GET'], authLevel: 'anonymous', handler: listJobs });
route('jobs-get', {
  route: 'batchEndpoints/{endpoint}/jobs/{jobId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: getJob,
});
route('jobs-get-by-id', { route: 'jobs/{jobId}', methods: ['GET'], extraInputs: [df.input.durableClient()], handler: getWorkspaceJob });
