import { app, type HttpHandler } from '@azure/functions';
import * as df from 'durable-functions';
import { dataDeps, idempotency, jobs, registry } from '../../app/services';
import { readJsonBody } from '../../lib/http/jsonBody';
import { createJob } from '../../lib/jobs/createJob';
import { readRequestId, REQUEST_ID_HEADER } from '../../lib/jobs/idempotency';
import { handle, jobResponse, jobUrl, param, RETRY_AFTER, startJob } from './common';

const INVOKE_MAX_BODY = 256 * 1024;

/** Invokes the endpoint: records the job (once per request id) and starts its orchestration. */
export const invokeJob: HttpHandler = (request, context) =>
  handle(request, context, 'Invoke', async (caller) => {
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
