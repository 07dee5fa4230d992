import type { MiniBatchResult } from './types';

/** What a scorer produces for a mini-batch; the worker adds logs and timing. */
/** What a scorer produces inside the worker; the worker encodes `lines` for the trip back. */
export type ScoredBatch = Pick<MiniBatchResult, 'succeededItems' | 'failedItems' | 'itemErrors'> & { lines: string[] };
