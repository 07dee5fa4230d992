import { app, type HttpHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { jobActivities, jobs } from '../../app/services';
import { settings } from '../../app/settings';
import { jobResource } from '../../lib/jobs/jobResource';
import { settle } from '../../lib/jobs/settle';
import type { JobStatus } from '../../lib/jobs/types';
import { existingEndpoint, handle, jobOf, jobResponse, nextLinkOf, orchestrationOf, startJob } from './common';

const SETTLE_GRACE_MS = settings().jobs.settleGraceMs;

/** One page of the endpoint's jobs, newest first, optionally of some statuses. */
export const listJobs: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const endpoint = await existingEndpoint(request);
    const topText = request.query.get('$top');
    const top = topText === null ? undefined : Number(topText);
    const statuses = (request.query.get('status') ?? '').split(',').filter(Boolean) as JobStatus[];
    const page = await jobs.list(endpoint.name, { top, continuation: request.query.get('$skiptoken') ?? undefined, status: statuses.length ? statuses : undefined });
    const nextLink = nextLinkOf(request, page.continuation);
    return { status: 200, jsonBody: { value: page.items.map(jobResource), ...(nextLink ? { nextLink } : {}) } };
  });

/** The job; a job that is stuck (no orchestration, or one that ended without it) is settled first (lib/jobs/settle). */
export const getJob: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const job = await jobOf(request);
    const client = df.getClient(context);
    const settled = await settle(job, {
      jobs,
      orchestration: (jobId) => orchestrationOf(client, jobId),
      start: (record) => startJob(client, record),
      finish: (finishRequest) => jobActivities().finish(finishRequest),
      graceMs: SETTLE_GRACE_MS,
      now: () => new Date(),
      log: (message) => context.log(message),
      warn: (message) => context.warn(message),
    });
    return jobResponse(request, settled);
  });

app.http('jobs-list', { route: 'batchEndpoints/{endpoint}/jobs', methods: ['GET'], authLevel: 'anonymous', handler: listJobs });
app.http('jobs-get', {
  route: 'batchEndpoints/{endpoint}/jobs/{jobId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: getJob,
});
