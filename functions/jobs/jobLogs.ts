import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import { ApiError } from '../../lib/http/apiError';
import { logsLocation } from '../../lib/output/location';
import { statusOf } from '../../lib/storage/once';
import { outputPlaces } from '../../app/services';
import { handle, jobOf } from './common';

/** Logs are a few lines per failed mini-batch; past this a log is read from storage. */
const LOG_SERVE_MAX_BYTES = 4 * 1024 * 1024;

async function logsOf(request: HttpRequest) {
  const job = await jobOf(request);
  const { container, path } = await outputPlaces.place(logsLocation(job.jobId));
  return { job, container, folder: path.replace(/\/*$/, '/') };
}

/**
 * `GET .../jobs/{id}/logs`: the log files a job wrote when it ended (`job_progress_overview.txt`,
 * `user/error.txt`, next to the job in the workspace datastore), with their sizes; empty while it runs.
 */
async function listJobLogs(request: HttpRequest, context: InvocationContext) {
  return handle(request, context, 'Read', async () => {
    const { container, folder } = await logsOf(request);
    const value: { name: string; size: number }[] = [];
    try {
      for await (const blob of container.listBlobsFlat({ prefix: folder })) value.push({ name: blob.name.slice(folder.length), size: blob.properties.contentLength ?? 0 });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    return { jsonBody: { value } };
  });
}

/** `GET .../jobs/{id}/logs/{name}`: one log file, as text. */
async function readJobLog(request: HttpRequest, context: InvocationContext) {
  return handle(request, context, 'Read', async () => {
    const name = request.params['name'] ?? '';
    if (name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new ApiError(400, 'InvalidLogName', `'${name}' is not a log file name (see GET .../logs).`, 'name');
    }
    const { job, container, folder } = await logsOf(request);
    const blob = container.getBlobClient(folder + name);
    const size = await blob.getProperties().then((p) => p.contentLength ?? 0, (err: unknown) => {
      if (statusOf(err) === 404) throw new ApiError(404, 'NotFound', `Job ${job.jobId} has no log '${name}' (logs are written when the job ends).`, 'name');
      throw err;
    });
    if (size > LOG_SERVE_MAX_BYTES) {
      throw new ApiError(422, 'LogTooLarge', `The log is ${size} bytes; read ${logsLocation(job.jobId).uri}${name} with Azure Storage tools.`);
    }
    const body = size === 0 ? Buffer.alloc(0) : await blob.downloadToBuffer();
    return { status: 200, body, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  });
}

/** One route for both: a catch-all also matches `.../logs` itself, so two routes would compete for it. */
export const jobLogs = (request: HttpRequest, context: InvocationContext) => (request.params['name'] ? readJobLog(request, context) : listJobLogs(request, context));

app.http('jobs-logs', { route: 'batchEndpoints/{endpoint}/jobs/{jobId}/logs/{*name}', methods: ['GET'], authLevel: 'anonymous', handler: jobLogs });
