import type { HttpRequest, InvocationContext } from '@azure/functions';
import { jobs, outputPlaces } from '../../app/services';
import { ApiError } from '../../lib/http/apiError';
import { logsLocation } from '../../lib/output/location';
import { statusOf } from '../../lib/storage/once';
import { handle } from '../shared/handle';
import { nextLinkOf } from './common';
import { route } from '../shared/routes';

/** Logs are a few lines per failed mini-batch; past this a log is read from storage. */
const LOG_SERVE_MAX_BYTES = 4 * 1024 * 1024;

async function logsOf(request: HttpRequest) {
  const job = await jobs.getOrThrow(request.params['endpoint'] ?? '', request.params['jobId'] ?? '');
  const { container, path } = await outputPlaces.place(logsLocation(job.jobId));
  return { job, container, folder: path.replace(/\/*$/, '/') };
}

/** Log files per page of the list, unless `$top` asks for fewer (a job writes one per mini-batch). */
const LOGS_PAGE = 1000;

/**
 * `GET .../jobs/{id}/logs`: the log files a job wrote (`user/stdout/mini-batch-<n>.txt` as each
 * mini-batch ends: what its scoring code logged; `job_progress_overview.txt` and `user/error.txt`
 * when the job ends; next to the job in the workspace datastore), with their sizes, in name order,
 * `$top` (at most 1000) a page, `nextLink` (`$skiptoken`: the storage listing's marker) while more remain.
 */
async function listJobLogs(request: HttpRequest, context: InvocationContext) {
  return handle(request, context, 'Read', async () => {
    const topText = request.query.get('$top');
    const top = topText === null ? LOGS_PAGE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > LOGS_PAGE) {
      throw new ApiError(400, 'InvalidQueryParameter', `$top must be an integer from 1 to ${LOGS_PAGE}.`, '$top');
    }
    const token = request.query.get('$skiptoken') ?? undefined;
    const { container, folder } = await logsOf(request);
    const pages = container.listBlobsFlat({ prefix: folder }).byPage({ maxPageSize: top, ...(token ? { continuationToken: token } : {}) });
    const page = await pages.next().then(
      (r) => (r.done ? undefined : r.value),
      (err: unknown) => {
        if (statusOf(err) === 404) return undefined; // no logs container yet: no logs
        if (token && statusOf(err) === 400) throw new ApiError(400, 'InvalidQueryParameter', '$skiptoken is not a continuation of this list; start again without it.', '$skiptoken');
        throw err;
      },
    );
    const value = (page?.segment.blobItems ?? []).map((blob) => ({ name: blob.name.slice(folder.length), size: blob.properties.contentLength ?? 0 }));
    const nextLink = nextLinkOf(request, page?.continuationToken || undefined);
    return { jsonBody: { value, ...(nextLink ? { nextLink } : {}) } };
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

route('jobs-logs', { route: 'batchEndpoints/{endpoint}/jobs/{jobId}/logs/{*name}', methods: ['GET'], authLevel: 'anonymous', handler: jobLogs });
