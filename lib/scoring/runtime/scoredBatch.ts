import type { MiniBatchResult } from './types';

/** What a scorer produces inside the worker; the worker adds output blocks, logs and timing. */
export type ScoredCounts = Pick<MiniBatchResult, 'succeededItems' | 'failedItems' | 'itemErrors'>;
/** A script's result: every line at once (run() returns them all). */
export type ScoredBatch = ScoredCounts & { lines: string[] };
