import { messageOf } from '../../lib/util/messageOf';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ApiError } from '../../lib/http/apiError';
import { readJsonBody } from '../../lib/http/jsonBody';
import { ORCHESTRATION, type JobRef } from '../../lib/jobs/contracts';
import { createJob } from '../../lib/jobs/createJob';
import { readRequestId, REQUEST_ID_HEADER } from '../../lib/jobs/idempotency';
import { jobResource } from '../../lib/jobs/jobResource';
import { settlementFor, START_AFTER_MS, type OrchestrationState } from '../../lib/jobs/endedOrchestration';
import { isTerminal } from '../../lib/jobs/status';
import type { JobRecord, JobStatus } from '../../lib/jobs/types';
import type { Access, Caller } from '../shared/authorize';
import { handle } from '../shared/handle';
import { outputBlobClient } from '../../lib/output/location';
import { serveOutputRange } from '../../lib/output/serveRange';
import { dataDeps, idempotency, jobActivities, jobs, miniBatches, registry } from '../../app/services';
import { settings } from '../../app/settings';

/** Seconds a poller should wait before asking again (Logic Apps honours it). */
const RETRY_AFTER = '5';
/** Largest output (or range of it) the output route answers with, in bytes. */
const OUTPUT_SERVE_MAX_BYTES = settings().outputServeMaxBytes;

const INVOKE_MAX_BODY = 256 * 1024;

type Work = (caller: Caller, request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

const handler = (access: Access, work: Work) => (request: HttpRequest, context: InvocationContext) =>
  handle(request, context, access, (caller) => work(caller, request, context));

const jobUrl = (request: HttpRequest, job: JobRecord) =>
  `${new URL(request.url).origin}/api/batchEndpoints/${encodeURIComponent(job.spec.endpointName)}/jobs/${job.jobId}`;

/** 202 + Location + Retry-After while the job runs (async request-reply), 200 once it is final. */
function jobResponse(request: HttpRequest, job: JobRecord): HttpResponseInit {
  if (isTerminal(job.status)) return { status: 200, jsonBody: jobResource(job) };
  return { status: 202, jsonBody: jobResource(job), headers: { Location: jobUrl(request, job), 'Retry-After': RETRY_AFTER } };
}

/** The next page's URL: this request's URL with `$skiptoken` set (ARM's paging convention). */
function nextLinkOf(request: HttpRequest, continuation: string | undefined): string | undefined {
  if (!continuation) return undefined;
  const next = new URL(request.url);
  next.searchParams.set('$skiptoken', continuation);
  return next.href.replace(/%24(top|skiptoken)=/g, '$$$1=');
}

/** Starts a job's orchestration, with the job id as its instance id. */
async function startJob(client: df.DurableClient, job: JobRecord): Promise<void> {
  const input: JobRef = { endpointName: job.spec.endpointName, jobId: job.jobId };
  await client.startNew(ORCHESTRATION.job, { instanceId: job.jobId, input });
}

async function existingEndpoint(name: string) {
  return registry.endpoints.get(name); // 404 names the endpoint when it is missing
}

app.http('jobs-invoke', {
  route: 'batchEndpoints/{endpoint}/jobs',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: handler('Invoke', async (caller, request, context) => {
    const client = df.getClient(context);
    const body = await readJsonBody(request, { maxBytes: INVOKE_MAX_BODY });
    const { job, created } = await createJob(
      {
        registry,
        jobs,
        idempotency,
        data: dataDeps,
        now: () => new Date(),
        startOrchestration: async (record) => {
          const status = await client.getStatus(record.jobId).catch(() => undefined);
          if (status) return; // already started (a retried invoke)
          await startJob(client, record);
        },
      },
      {
        endpointName: request.params.endpoint ?? '',
        body,
        deploymentName: request.headers.get('azureml-model-deployment') ?? undefined,
        requestId: readRequestId(request.headers.get(REQUEST_ID_HEADER)),
        caller,
      },
    );
    if (created) context.log(`Job ${job.jobId} created on ${job.spec.endpointName}/${job.spec.deploymentName} by ${caller.name} (${caller.oid}).`);
    return { ...jobResponse(request, job), status: 202, headers: { Location: jobUrl(request, job), 'Retry-After': RETRY_AFTER } };
  }),
});

app.http('jobs-list', {
  route: 'batchEndpoints/{endpoint}/jobs',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handler('Read', async (_caller, request) => {
    const endpoint = await existingEndpoint(request.params.endpoint ?? '');
    const topText = request.query.get('$top');
    const top = topText === null ? undefined : Number(topText);
    const statuses = (request.query.get('status') ?? '').split(',').filter(Boolean) as JobStatus[];
    const page = await jobs.list(endpoint.name, { top, continuation: request.query.get('$skiptoken') ?? undefined, status: statuses.length ? statuses : undefined });
    const nextLink = nextLinkOf(request, page.continuation);
    return { status: 200, jsonBody: { value: page.items.map(jobResource), ...(nextLink ? { nextLink } : {}) } };
  }),
});

async function jobOf(request: HttpRequest): Promise<JobRecord> {
  const endpoint = await existingEndpoint(request.params.endpoint ?? '');
  return jobs.getOrThrow(endpoint.name, request.params.jobId ?? '');
}

const SETTLE_GRACE_MS = settings().jobs.settleGraceMs;

/** Starts or ends a job whose orchestration never started or has ended (see settlementFor). */
async function settled(job: JobRecord, client: df.DurableClient, context: InvocationContext): Promise<JobRecord> {
  // A row written within the grace belongs to a live job (progress is written every few seconds
  // while mini-batches finish): no need to ask the orchestration, which keeps polling cheap.
  if (job.updatedAt && Date.now() - Date.parse(job.updatedAt) < Math.max(SETTLE_GRACE_MS, 1)) return job;
  let state: OrchestrationState | 'missing';
  try {
    state = await client.getStatus(job.jobId);
  } catch (err) {
    // The SDK reports an unknown instance only through its message.
    if (!/HTTP 404/.test(messageOf(err))) {
      context.warn(`Could not read the orchestration of job ${job.jobId}: ${messageOf(err)}`);
      return job;
    }
    state = 'missing';
  }
  const settlement = settlementFor(job, state, new Date(), SETTLE_GRACE_MS);
  if (settlement.action === 'none') return job;
  try {
    if (settlement.action === 'start') {
      await startJob(client, job);
      context.log(`Job ${job.jobId} had no orchestration ${Math.round(START_AFTER_MS / 1000)} s after its invoke: started it.`);
    } else {
      await jobActivities().finish({ endpointName: job.spec.endpointName, jobId: job.jobId, ...settlement.request });
      context.log(`Job ${job.jobId}: its orchestration had ended without a final status; finished it as ${settlement.request.outcome}.`);
    }
  } catch (err) {
    context.warn(`Could not settle job ${job.jobId}: ${messageOf(err)}`);
  }
  return (await jobs.get(job.spec.endpointName, job.jobId)) ?? job;
}

app.http('jobs-get', {
  route: 'batchEndpoints/{endpoint}/jobs/{jobId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: handler('Read', async (_caller, request, context) => {
    const job = await jobOf(request);
    if (isTerminal(job.status)) return jobResponse(request, job);
    return jobResponse(request, await settled(job, df.getClient(context), context));
  }),
});

app.http('jobs-cancel', {
  route: 'batchEndpoints/{endpoint}/jobs/{jobId}/cancel',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: handler('Invoke', async (caller, request, context) => {
    // update reads the job (404 when it does not exist) and applies the cancel in one step.
    const endpoint = await existingEndpoint(request.params.endpoint ?? '');
    const result = await jobs.update(endpoint.name, request.params.jobId ?? '', { status: 'CancelRequested' }, { step: 'cancel' });
    const { jobId } = result.record;
    if (!result.applied) {
      throw new ApiError(409, 'JobNotCancelable', `Job ${jobId} is ${result.record.status}: only a job that has not finished can be canceled.`);
    }
    context.log(`Cancel of job ${jobId} requested by ${caller.name} (${caller.oid}).`);
    return jobResponse(request, result.record);
  }),
});

app.http('jobs-errors', {
  route: 'batchEndpoints/{endpoint}/jobs/{jobId}/errors',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handler('Read', async (_caller, request) => {
    const job = await jobOf(request);
    const top = Math.min(Math.max(Number(request.query.get('$top') ?? 100) || 100, 1), 1000);
    const page = await miniBatches.listProblems(job.jobId, top, request.query.get('$skiptoken') ?? undefined);
    const nextLink = nextLinkOf(request, page.continuation);
    const value = page.items.map((mb) => ({
      miniBatchIndex: mb.index,
      status: mb.status,
      files: mb.files.map((f) => f.name),
      attempts: mb.attempts,
      failedItems: mb.status === 'Failed' ? mb.files.length : mb.failedItems,
      error: mb.status === 'Failed' ? mb.error : undefined,
      itemErrors: mb.itemErrors ?? [],
    }));
    return { status: 200, jsonBody: { value, ...(nextLink ? { nextLink } : {}) } };
  }),
});

app.http('jobs-output', {
  route: 'batchEndpoints/{endpoint}/jobs/{jobId}/output',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: handler('Read', async (_caller, request) => {
    // Azure ML users struggle to find and download outputs: serve the file where they look for the job.
    const job = await jobOf(request);
    if (job.spec.settings.outputAction !== 'AppendRow') {
      throw new ApiError(404, 'NoOutputFile', `Job ${job.jobId} uses SummaryOnly: it writes no output file (its counts are in the job's progress).`);
    }
    if (job.status !== 'Completed') {
      throw new ApiError(404, 'OutputNotReady', `Job ${job.jobId} is ${job.status}: the output is written only when it completes.`);
    }
    const blob = await outputBlobClient(job.spec.output, dataDeps);
    return serveOutputRange(blob, { range: request.headers.get('range'), fileName: job.spec.settings.outputFileName, uri: job.spec.output.uri, maxBytes: OUTPUT_SERVE_MAX_BYTES });
  }),
});
