import { type HttpHandler } from '@azure/functions';
import { route } from '../shared/routes';
import { miniBatches } from '../../app/services';
import { failedItemsOf } from '../../lib/jobs/miniBatchStore';
import { handle, jobOf, nextLinkOf } from './common';

/** The job's failed mini-batches and failed items, a page at a time. */
export const jobErrors: HttpHandler = (request, context) =>
  handle(request, context, 'Read', async () => {
    const job = await jobOf(request);
    const top = Math.min(Math.max(Number(request.query.get('$top') ?? 100) || 100, 1), 1000);
    const page = await miniBatches.listProblems(job.jobId, top, request.query.get('$skiptoken') ?? undefined);
    const nextLink = nextLinkOf(request, page.continuation);
    const value = page.items.map((mb) => ({
      miniBatchIndex: mb.index,
      status: mb.status,
      files: mb.files.map((f) => f.name),
      attempts: mb.attempts,
      failedItems: failedItemsOf(mb),
      error: mb.status === 'Failed' ? mb.error : undefined,
      itemErrors: mb.itemErrors ?? [],
    }));
    return { status: 200, jsonBody: { value, ...(nextLink ? { nextLink } : {}) } };
  });

route('jobs-errors', { route: 'batchEndpoints/{endpoint}/jobs/{jobId}/errors', methods: ['GET'], authLevel: 'anonymous', handler: jobErrors });
