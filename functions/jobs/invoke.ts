import { app, type HttpHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { readJsonBody } from '../../lib/http/jsonBody';
import { createJob } from '../../lib/jobs/createJob';
import { readRequestId, REQUEST_ID_HEADER } from '../../lib/jobs/idempotency';
import { handle, jobCreation, jobResponse, jobUrl, param, RETRY_AFTER } from './common';

const INVOKE_MAX_BODY = 256 * 1024;

/** Invokes the endpoint: records the job (once per request id) and starts its orchestration. */
export const invokeJob: HttpHandler = (request, context) =>
  handle(request, context, 'Invoke', async (caller) => {
    const client = df.getClient(context);
    const body = await readJsonBody(request, { maxBytes: INVOKE_MAX_BODY });
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
    if (created) context.log(`Job ${job.jobId} created on ${job.spec.endpointName}/${job.spec.deploymentName} by ${caller.name} (${caller.oid}).`);
    return { ...jobResponse(request, job), status: 202, headers: { Location: jobUrl(request, job), 'Retry-After': RETRY_AFTER } };
  });

app.http('jobs-invoke', {
  route: 'batchEndpoints/{endpoint}/jobs',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: invokeJob,
});
