import type { JobPlan, MiniBatchOutcome } from '../../../lib/jobs/contracts';

/** A plan of 10 files in 5 mini-batches of 2, two at a time, no error threshold. */
export const plan = (overrides: Partial<JobPlan>): JobPlan => ({
  totalFiles: 10,
  miniBatches: 5,
  miniBatchSize: 2,
  parallelism: 2,
  errorThreshold: -1,
  maxRetries: 0,
  retryDelayMs: 10,
  chunkSize: 5,
  progressIntervalMs: 60_000,
  ...overrides,
});

/** A mini-batch of `items` files scored, `failed` of them failed. */
export const scored = (items: number, failed = 0): MiniBatchOutcome => ({ succeededItems: items - failed, failedItems: failed, outputRows: items - failed });
