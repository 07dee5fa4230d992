import { route } from '../shared/routes';
import { type HttpRequest, type InvocationContext } from '@azure/functions';
import { miniBatches } from '../../app/services';
import { failedItemsOf } from '../../lib/jobs/miniBatchStore';
import { handle, jobOf } from './common';

const DEFAULT_TOP = 1000;
const MAX_TOP = 5000;

/**
 * `GET /api/batchEndpoints/{e}/jobs/{id}/miniBatches?from=<index>&$top=<n>`: the mini-batches that
 * started (Running while an attempt runs), in index order, with status, attempts, duration, where the time went and when they finished;
 * for the studio's throughput and mini-batch duration charts. `nextLink` while indexes remain.
 */
export async function listJobMiniBatches(request: HttpRequest, context: InvocationContext) {
  return handle(request, context, 'Read', async () => {
    const job = await jobOf(request);
    const from = Math.max(Number.parseInt(request.query.get('from') ?? '0', 10) || 0, 0);
    const top = Math.min(Math.max(Number.parseInt(request.query.get('$top') ?? '', 10) || DEFAULT_TOP, 1), MAX_TOP);
    const to = from + top;
    const value = [];
    for await (const mb of miniBatches.listRange(job.jobId, from, to)) {
      value.push({
        index: mb.index,
        status: mb.status,
        files: mb.files.map((f) => f.name),
        attempts: mb.attempts,
        succeededItems: mb.succeededItems,
        failedItems: failedItemsOf(mb),
        ...(mb.durationMs !== undefined ? { durationMs: mb.durationMs } : {}),
        ...(mb.timings ? { timings: mb.timings } : {}),
        // A Running row was written when its attempt started.
        ...(mb.updatedAt && mb.status !== 'Running' ? { finishedAt: mb.updatedAt } : {}),
      });
    }
    let nextLink: string | undefined;
    if (to < job.progress.miniBatchesTotal) {
      const next = new URL(request.url);
      next.searchParams.set('from', String(to));
      nextLink = next.href.replace(/%24top=/g, '$$top=');
    }
    return { jsonBody: { value, ...(nextLink ? { nextLink } : {}) } };
  });
}

route('jobs-minibatches', { route: 'batchEndpoints/{endpoint}/jobs/{jobId}/miniBatches', methods: ['GET'], authLevel: 'anonymous', handler: listJobMiniBatches });
