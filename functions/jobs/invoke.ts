import { type HttpHandler } from '@azure/functions';
import { route } from '../shared/routes';
import * as df from 'durable-functions';
import { readJsonBody } from '../../lib/http/jsonBody';
import { createJob } from '../../lib/jobs/createJob';
import { readRequestId, REQUEST_ID_HEADER } from '../../lib/jobs/idempotency';
import { ignoredLiteralInputs } from '../../lib/jobs/ignoredInputs';
import { jobResource } from '../../lib/jobs/jobResource';
import { takeAzureOnly } from '../../lib/registry/azureOnly';
import { handle, jobUrl, param, RETRY_AFTER, jobCreation, wantsAsync } from './common';

const INVOKE_MAX_BODY = 256 * 1024;

/** Invokes the endpoint: records the job (once per request id) and starts its orchestration. */
export const invokeJob: HttpHandler = (request, context) =>
  handle(request, context, 'Invoke', async (caller) => {
    const client = df.getClient(context);
    const { body, warnings } = takeAzureOnly(await readJsonBody(request, { maxBytes: INVOKE_MAX_BODY }), 'job');
    const { job, created } = await createJob(
      jobCreation(client),
      {
        endpointName: param(request, 'endpoint'),
        body,
        deploymentName: request.headers.get('azureml-model-deployment') ?? undefined,
        requestId: readRequestId(request.headers.get(REQUEST_ID_HEADER)),
        caller,
      },
    );
    warnings.push(...ignoredLiteralInputs(job.spec));
    for (const w of warnings) context.log(`Invoke of ${job.jobId}: ${w.message}`);
    if (created) context.log(`Job ${job.jobId} created on ${job.spec.endpointName}/${job.spec.deploymentName} by ${caller.name} (${caller.oid}).`);
    // Azure ML's SDK accepts only 200/201 from invoke; a client that asks for the async pattern
    // (`Prefer: respond-async`, as Logic Apps do) gets 202 + Location + Retry-After (README: invoke statuses).
    const location: Record<string, string> = { Location: jobUrl(request, job) };
    const jsonBody = { ...jobResource(job, new URL(request.url).origin), ...(warnings.length ? { warnings } : {}) };
    if (!wantsAsync(request)) return { status: 200, jsonBody, headers: location };
    return { status: 202, jsonBody, headers: { ...location, 'Retry-After': RETRY_AFTER } };
  });

route('jobs-invoke', {
  route: 'batchEndpoints/{endpoint}/jobs',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: invokeJob,
});
