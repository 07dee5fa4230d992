import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { ApiError } from '../http/apiError';
import type { Caller } from '../auth/caller';
import { keyOf } from '../registry/names';
import { ensureTable, statusOf, tryGetEntity } from '../storage/once';
import type { JobStore } from './jobStore';
import type { JobRecord } from './types';

/**
 * `x-ms-client-request-id` makes an invoke idempotent: the first request with an id claims it
 * for the job it is about to create (an insert, so of two concurrent requests exactly one wins);
 * later requests from the same caller with the same id get that job back. Rows live in the jobs
 * table under `idempotency:<endpoint>` partitions (job partitions are bare endpoint names, which
 * cannot contain ':'), and are kept as long as the table (no expiry).
 */

export const REQUEST_ID_HEADER = 'x-ms-client-request-id';
/** `Retry-After` (seconds) of a 409 that clears once a concurrent invoke with the same id is done. */
export const RETRY_SOON = '1';

const PARTITION_PREFIX = 'idempotency:';
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;
/** A claim whose job was never recorded after this long belongs to an invoke that died. */
export const DEFAULT_STALE_CLAIM_MS = 60_000;

export interface IdempotencyKey {
  caller: Pick<Caller, 'oid' | 'tid'>;
  endpoint: string;
  requestId: string;
}

export interface ClaimOptions {
  /** The id the new job gets if this request wins the claim. */
  jobId: string;
  /** requestHash() of the normalized request: a different request with the same id is refused. */
  requestHash: string;
  /**
   * Lets a claim whose job does not exist and that is older than `staleAfterMs` be taken over
   * (its invoke failed between claiming and recording the job). Without it claims never expire.
   */
  jobExists?: (jobId: string) => Promise<boolean>;
  staleAfterMs?: number;
  now?: () => Date;
}

export interface Claim {
  jobId: string;
  /** True when the id was claimed before: answer with that job, do not create one. */
  existing: boolean;
  /** False when the earlier request differed: the invoke answers 409 IdempotencyKeyReused. */
  sameRequest: boolean;
}

interface ClaimEntity {
  partitionKey: string;
  rowKey: string;
  JobId: string;
  RequestHash: string;
  ClaimedAt: string;
}

/** The request id header's value, or undefined when absent; 400 when it is not a usable id. */
export function readRequestId(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!REQUEST_ID.test(value)) {
    throw new ApiError(
      400,
      'InvalidHeader',
      `The ${REQUEST_ID_HEADER} header must be 1-200 visible ASCII characters (a GUID is usual).`,
      REQUEST_ID_HEADER,
    );
  }
  return value;
}

/** JSON with object keys sorted at every level, so equal requests hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Hash of a normalized request (e.g. the parsed invoke plus the deployment it targets). */
export const requestHash = (normalized: unknown): string => sha256(canonicalJson(normalized));

const partitionOf = (endpoint: string): string => `${PARTITION_PREFIX}${keyOf(endpoint)}`;
// Hashed: request ids may hold characters Table keys refuse, and the row should not reveal who called.
const rowKeyOf = (key: IdempotencyKey): string =>
  sha256(JSON.stringify([key.caller.oid, key.caller.tid, keyOf(key.endpoint), key.requestId]));

export class IdempotencyStore {
  constructor(private readonly table: TableClient) {}

  /** Claims the request id for `options.jobId`, or returns the job an earlier request claimed it for. */
  async claim(key: IdempotencyKey, options: ClaimOptions): Promise<Claim> {
    await ensureTable(this.table);
    const now = options.now ?? (() => new Date());
    const partitionKey = partitionOf(key.endpoint);
    const rowKey = rowKeyOf(key);
    const fresh = (): ClaimEntity => ({
      partitionKey,
      rowKey,
      JobId: options.jobId,
      RequestHash: options.requestHash,
      ClaimedAt: now().toISOString(),
    });
    const won: Claim = { jobId: options.jobId, existing: false, sameRequest: true };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.table.createEntity(fresh());
        return won;
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      const row = await this.read(partitionKey, rowKey);
      if (!row) continue; // released in between: try to insert again
      // Our own insert, sent again by the storage client after its answer was lost.
      if (row.JobId === options.jobId) return won;
      if (await this.isStale(row, options, now())) {
        try {
          await this.table.updateEntity(fresh(), 'Replace', { etag: row.etag });
          return won;
        } catch (err) {
          if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
          continue; // another request took it over first: look again
        }
      }
      return { jobId: row.JobId, existing: true, sameRequest: row.RequestHash === options.requestHash };
    }
    throw new ApiError(409, 'Conflict', `Requests with ${REQUEST_ID_HEADER} '${key.requestId}' are racing; retry.`, REQUEST_ID_HEADER, undefined, { 'Retry-After': RETRY_SOON });
  }

  /** The job id the request id is claimed for, or undefined when it is not claimed. */
  async find(key: IdempotencyKey): Promise<string | undefined> {
    await ensureTable(this.table);
    return (await this.read(partitionOf(key.endpoint), rowKeyOf(key)))?.JobId;
  }

  /**
   * Gives a claim up when the invoke that won it fails before recording its job (so a retry with
   * the same id can run). Only removes the claim if it still names `jobId`.
   */
  async release(key: IdempotencyKey, jobId: string): Promise<void> {
    await ensureTable(this.table);
    const row = await this.read(partitionOf(key.endpoint), rowKeyOf(key));
    if (!row || row.JobId !== jobId) return;
    try {
      await this.table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag });
    } catch (err) {
      if (statusOf(err) !== 404 && statusOf(err) !== 412) throw err;
    }
  }

  private async isStale(row: ClaimEntity, options: ClaimOptions, now: Date): Promise<boolean> {
    if (!options.jobExists) return false;
    const age = now.getTime() - Date.parse(row.ClaimedAt);
    if (!(age >= (options.staleAfterMs ?? DEFAULT_STALE_CLAIM_MS))) return false;
    return !(await options.jobExists(row.JobId));
  }

  private read(partitionKey: string, rowKey: string): Promise<(ClaimEntity & { etag: string }) | undefined> {
    return tryGetEntity<ClaimEntity>(this.table, partitionKey, rowKey);
  }
}

/** The job an earlier request with this key recorded, or undefined (never claimed, or claimed and not recorded yet). */
export async function jobOfRequest(stores: { idempotency: IdempotencyStore; jobs: Pick<JobStore, 'findById'> }, key: IdempotencyKey): Promise<JobRecord | undefined> {
  const jobId = await stores.idempotency.find(key);
  return jobId === undefined ? undefined : stores.jobs.findById(jobId);
}
