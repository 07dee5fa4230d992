import { type HttpHandler } from '@azure/functions';
import { route } from '../shared/routes';
import { jobs } from '../../app/services';
import { ApiError } from '../../lib/http/apiError';
import { existingEndpoint, handle, jobResponse, param } from './common';

/** Requests a cancel (lib/jobs/status: only a job that is not final nor committing its output). */
export const cancelJob: HttpHandler = (request, context) =>
  handle(request, context, 'Invoke', async (caller) => {
    // update reads the job (404 when it does not exist) and applies the cancel in one step.
    const endpoint = await existingEndpoint(request);
    const result = await jobs.update(endpoint.name, param(request, 'jobId'), { status: 'CancelRequested' }, { step: 'cancel' });
    const { jobId } = result.record;
    if (!result.applied) {
      throw new ApiError(409, 'JobNotCancelable', `Job ${jobId} is ${result.record.status}: only a job that has not finished can be canceled.`);
    }
    context.log(`Cancel of job ${jobId} requested by ${caller.name} (${caller.oid}).`);
    return jobResponse(request, result.record);
  });

route('jobs-cancel', { route: 'batchEndpoints/{endpoint}/jobs/{jobId}/cancel', methods: ['POST'], authLevel: 'anonymous', handler: cancelJob });
