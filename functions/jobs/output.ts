import { type HttpHandler } from '@azure/functions';
import { route } from '../shared/routes';
import { dataDeps } from '../../app/services';
import { settings } from '../../app/settings';
import { ApiError } from '../../lib/http/apiError';
import { outputBlobClient } from '../../lib/output/location';
import { serveOutputRange } from '../../lib/output/serveRange';
import { handle, jobOf } from './common';

/** Largest output (or range of it) the output route answers with, in bytes. */
const OUTPUT_SERVE_MAX_BYTES = settings().outputServeMaxBytes;

/** The job's output file (byte ranges too). Azure ML users struggle to find outputs: it is served where they look for the job. */
export const jobOutput: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const job = await jobOf(request);
    if (job.spec.settings.outputAction !== 'AppendRow') {
      throw new ApiError(404, 'NoOutputFile', `Job ${job.jobId} uses SummaryOnly: it writes no output file (its counts are in the job's progress).`);
    }
    if (job.status !== 'Completed') {
      throw new ApiError(404, 'OutputNotReady', `Job ${job.jobId} is ${job.status}: the output is written only when it completes.`);
    }
    const blob = await outputBlobClient(job.spec.output, dataDeps);
    return serveOutputRange(blob, { range: request.headers.get('range'), fileName: job.spec.settings.outputFileName, uri: job.spec.output.uri, maxBytes: OUTPUT_SERVE_MAX_BYTES });
  });

route('jobs-output', { route: 'batchEndpoints/{endpoint}/jobs/{jobId}/output', methods: ['GET'], authLevel: 'anonymous', handler: jobOutput });
