/**
 * What the job orchestrations and their activities pass to each other. Kept small on purpose:
 * durable payloads live in history, so activities read details from storage by job id.
 */
export interface JobRef {
  endpointName: string;
  jobId: string;
}

export interface JobPlan {
  totalFiles: number;
  miniBatches: number;
  miniBatchSize: number;
  parallelism: number;
  errorThreshold: number;
  maxRetries: number;
  retryDelayMs: number;
  chunkSize: number;
  progressIntervalMs: number;
  /** append_row only: chunks from this one on write their output through part blobs (lib/output/parts.ts). */
  partsFromChunk?: number;
}

export type PrepareResult =
  /**
   * `complete: false`: only the first chunk, or its first mini-batches (its head), is planned;
   * planRest plans the rest.
   */
  | { ok: true; plan: JobPlan; complete: boolean }
  | { ok: false; canceled?: boolean; error?: { code: string; message: string } };

/** A mini-batch activity's input: its files come from the job's plan (chunk = index / chunkSize). */
export interface MiniBatchRef extends JobRef {
  index: number;
  chunkSize: number;
  /** Stage the output on the chunk's part blob instead of the output blob. */
  toPart?: true;
  /**
   * Which attempt this is, from 1: the orchestrator numbers them (it retries a failed mini-batch
   * itself), so an execution knows a retry from a duplicate delivery of the same attempt. Absent: 1.
   */
  attempt?: number;
}

export interface MiniBatchOutcome {
  succeededItems: number;
  failedItems: number;
  outputRows: number;
  canceled?: boolean;
  /** A scorer that cannot start (no such script, a broken module or model): no retry can help. */
  fatal?: { code: string; message: string };
}

export interface Totals {
  miniBatchesSucceeded: number;
  miniBatchesFailed: number;
  itemsSucceeded: number;
  itemsFailed: number;
}

export interface ChunkInput extends JobRef {
  plan: JobPlan;
  from: number;
  to: number;
  totals: Totals;
  /**
   * Only the chunk's head is planned (`to` is its end): the chunk calls planRest once the head is
   * scheduled and goes on to the chunk's end with the plan it returns.
   */
  planRest?: true;
}

export interface ChunkResult {
  totals: Totals;
  stopped?: 'ErrorThresholdExceeded' | 'Canceled' | 'ScorerFailed' | 'PlanRestFailed';
  /** Why, when stopped is ScorerFailed or PlanRestFailed. */
  error?: { code: string; message: string };
  /** The whole job's plan, when this chunk called planRest. */
  plan?: JobPlan;
}

/** Counts only: the totals come from the job row (planRest may have raised them). */
export interface ProgressUpdate extends JobRef {
  totals: Totals;
  /** Mini-batches scheduled and not finished when the update was made. */
  running?: number;
}

/** Mini-batches [from, to) of chunk `chunk` are done: commit its part and stage it on the output. */
export interface SealPartRequest extends JobRef {
  chunk: number;
  from: number;
  to: number;
}

export interface FinishRequest extends JobRef {
  plan?: JobPlan;
  totals?: Totals;
  outcome: 'Completed' | 'Failed' | 'Canceled';
  error?: { code: string; message: string };
}

export const ACTIVITY = {
  prepare: 'batchJob_prepare',
  planRest: 'batchJob_planRest',
  scoreMiniBatch: 'batchJob_scoreMiniBatch',
  reportProgress: 'batchJob_reportProgress',
  sealPart: 'batchJob_sealPart',
  finish: 'batchJob_finish',
} as const;

export const ORCHESTRATION = {
  job: 'batchJob',
  chunk: 'batchJobChunk',
} as const;

export const ZERO_TOTALS: Totals = { miniBatchesSucceeded: 0, miniBatchesFailed: 0, itemsSucceeded: 0, itemsFailed: 0 };
