import { keyOf } from './names';

/** Partition keys of the registry table (RowKey = lower-cased name). */
export const ENDPOINTS_PARTITION = 'batchEndpoints';
export const deploymentsPartition = (endpoint: string): string => `deployments:${keyOf(endpoint)}`;
