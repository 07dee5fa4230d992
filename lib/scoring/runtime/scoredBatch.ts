import type { MiniBatchResult } from './types';

/** What a scorer produces for a mini-batch; the worker adds logs and timing. */
export type ScoredBatch = Pick<MiniBatchResult, 'lines' | 'succeededItems' | 'failedItems' | 'itemErrors'>;
