import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { ensureTable, statusOf, tryGetEntity } from '../storage/once';

/**
 * An output blob is claimed by the job that will write it when the job is accepted: a
 * conditional insert keyed by the blob's URL, so of concurrent invokes aimed at one output exactly
 * one wins, and an invoke aimed at an output a running job will write is refused before anything
 * starts. The claim is released when its job ends without writing the output (Failed, Canceled);
 * a Completed job keeps it (its blob exists anyway). A claim whose holder has ended, or whose
 * holder was never recorded (its invoke died) and is older than a minute, is taken over, so a
 * release that was missed blocks nothing. Rows live in the jobs table under `output:<xx>`
 * partitions (job partitions are endpoint names, which cannot contain ':').
 */

/** The job that holds an output. */
export interface OutputHolder {
  jobId: string;
  endpoint: string;
  claimedAt: string;
}

export type OutputClaim = { won: true } | { won: false; holder: OutputHolder };

export interface OutputClaimOptions {
  jobId: string;
  endpoint: string;
  /** Whether the holder still holds the output (its job is not final, or is still being invoked). */
  holds(holder: OutputHolder): Promise<boolean>;
  now?: () => Date;
}

interface ClaimEntity {
  partitionKey: string;
  rowKey: string;
  JobId: string;
  Endpoint: string;
  ClaimedAt: string;
}

/** A claim whose job was never recorded after this long belongs to an invoke that died. */
export const STALE_OUTPUT_CLAIM_MS = 60_000;

/** The claim's key: the blob's URL without a query (two datastores on one container name one blob). */
const keyOf = (blobUrl: string) => {
  const hash = createHash('sha256').update(blobUrl.split('?')[0]!).digest('hex');
  return { partitionKey: `output:${hash.slice(0, 2)}`, rowKey: hash };
};

export class OutputClaims {
  constructor(private readonly table: TableClient) {}

  /** Claims the blob for `options.jobId`, or says which job holds it. */
  async claim(blobUrl: string, options: OutputClaimOptions): Promise<OutputClaim> {
    await ensureTable(this.table);
    const now = options.now ?? (() => new Date());
    const key = keyOf(blobUrl);
    const fresh = (): ClaimEntity => ({ ...key, JobId: options.jobId, Endpoint: options.endpoint, ClaimedAt: now().toISOString() });
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.table.createEntity(fresh());
        return { won: true };
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      const row = await this.read(key.partitionKey, key.rowKey);
      if (!row) continue; // released in between: insert again
      if (row.JobId === options.jobId) return { won: true };
      const holder: OutputHolder = { jobId: row.JobId, endpoint: row.Endpoint, claimedAt: row.ClaimedAt };
      if (await options.holds(holder)) return { won: false, holder };
      try {
        await this.table.updateEntity(fresh(), 'Replace', { etag: row.etag });
        return { won: true };
      } catch (err) {
        if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
        // another invoke took it over first: look again
      }
    }
    const row = await this.read(key.partitionKey, key.rowKey);
    return { won: false, holder: { jobId: row?.JobId ?? 'unknown', endpoint: row?.Endpoint ?? '', claimedAt: row?.ClaimedAt ?? '' } };
  }

  /** Gives the blob up if `jobId` still holds it (a later job's claim is never removed). */
  async release(blobUrl: string, jobId: string): Promise<void> {
    await ensureTable(this.table);
    const key = keyOf(blobUrl);
    const row = await this.read(key.partitionKey, key.rowKey);
    if (!row || row.JobId !== jobId) return;
    try {
      await this.table.deleteEntity(key.partitionKey, key.rowKey, { etag: row.etag });
    } catch (err) {
      if (statusOf(err) !== 404 && statusOf(err) !== 412) throw err;
    }
  }

  /** The job holding the blob, if any. */
  async holder(blobUrl: string): Promise<OutputHolder | undefined> {
    const key = keyOf(blobUrl);
    const row = await this.read(key.partitionKey, key.rowKey);
    return row && { jobId: row.JobId, endpoint: row.Endpoint, claimedAt: row.ClaimedAt };
  }

  private read(partitionKey: string, rowKey: string): Promise<(ClaimEntity & { etag: string }) | undefined> {
    return tryGetEntity<ClaimEntity>(this.table, partitionKey, rowKey);
  }
}
