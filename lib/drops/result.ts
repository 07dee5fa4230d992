import { z } from 'zod';
import type { ApiError } from '../http/apiError';
import { isTerminal } from '../jobs/status';
import type { DropSource, JobRecord } from '../jobs/types';

/**
 * `_result.json`: written next to a drop's output when its job ends, and in the drop's outbox
 * folder when the drop was refused (no job). One shape for both, so a downstream tool or Logic
 * App reads `status` and either `outputUri` or `error`.
 */
export const dropResultSchema = z
  .object({
    status: z.enum(['Completed', 'Failed', 'Canceled']).describe('the job\'s final status; Failed with jobId null when the drop was refused'),
    drop: z.object({ container: z.string(), path: z.string(), kind: z.enum(['folder', 'file']) }),
    endpointName: z.string(),
    deploymentName: z.string().nullable(),
    jobId: z.string().nullable(),
    jobUrl: z.string().nullable(),
    errorsUrl: z.string().nullable(),
    outputUri: z.string().nullable(),
    counts: z
      .object({ miniBatchesTotal: z.number(), miniBatchesSucceeded: z.number(), miniBatchesFailed: z.number(), itemsTotal: z.number(), itemsSucceeded: z.number(), itemsFailed: z.number() })
      .nullable(),
    error: z.object({ code: z.string(), message: z.string(), target: z.string().optional() }).nullable(),
    times: z.object({ dropped: z.string().nullable(), created: z.string().nullable(), started: z.string().nullable(), ended: z.string() }),
  })
  .meta({ id: 'DropResult', description: 'The _result.json of a blob drop.' });

export type DropResult = z.infer<typeof dropResultSchema>;

const jobUrlOf = (baseUrl: string, endpoint: string, jobId: string) => `${baseUrl}/api/batchEndpoints/${encodeURIComponent(endpoint)}/jobs/${jobId}`;

/** The result of a drop whose job ended. */
export function jobResult(job: JobRecord, source: DropSource, baseUrl: string, now: Date): DropResult {
  if (!isTerminal(job.status)) throw new Error(`job ${job.jobId} has not ended (${job.status})`);
  const url = jobUrlOf(baseUrl, job.spec.endpointName, job.jobId);
  const p = job.progress;
  return {
    status: job.status as DropResult['status'],
    drop: { container: source.container, path: source.path, kind: source.kind },
    endpointName: job.spec.endpointName,
    deploymentName: job.spec.deploymentName,
    jobId: job.jobId,
    jobUrl: url,
    errorsUrl: `${url}/errors`,
    outputUri: job.status === 'Completed' && job.spec.settings.outputAction === 'AppendRow' ? job.spec.output.uri : null,
    counts: {
      miniBatchesTotal: p.miniBatchesTotal,
      miniBatchesSucceeded: p.miniBatchesSucceeded,
      miniBatchesFailed: p.miniBatchesFailed,
      itemsTotal: p.itemsTotal,
      itemsSucceeded: p.itemsSucceeded,
      itemsFailed: p.itemsFailed,
    },
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
    times: { dropped: source.droppedAt ?? null, created: job.creationTime, started: job.startTime ?? null, ended: job.endTime ?? now.toISOString() },
  };
}

/** The result of a drop that started no job: the same shape, with the reason. */
export function refusedResult(source: DropSource, endpointName: string, error: ApiError, now: Date): DropResult {
  return {
    status: 'Failed',
    drop: { container: source.container, path: source.path, kind: source.kind },
    endpointName,
    deploymentName: null,
    jobId: null,
    jobUrl: null,
    errorsUrl: null,
    outputUri: null,
    counts: null,
    error: { code: error.code, message: error.message, ...(error.target ? { target: error.target } : {}) },
    times: { dropped: source.droppedAt ?? null, created: null, started: null, ended: now.toISOString() },
  };
}
