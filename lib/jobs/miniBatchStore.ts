import { ensureTable, statusOf } from '../storage/once';
import { ApiError } from '../http/apiError';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { InputFile } from './types';

export type MiniBatchStatus = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** One mini-batch of a job: its files, and what happened when it ran. */
export interface MiniBatchRecord {
  index: number;
  files: InputFile[];
  status: MiniBatchStatus;
  attempts: number;
  succeededItems: number;
  failedItems: number;
  outputRows: number;
  /**
   * The output blocks of this mini-batch (append_row), as ranges of their sequence numbers
   * (`0-3,5`): block ids are derived from the job, the index and these (lib/output/blocks.ts).
   */
  blocks?: string;
  /**
   * The execution whose blocks these are (its block ids carry the tag): of two executions of a
   * mini-batch the first success recorded wins. None on rows recorded before tags (the old ids).
   */
  blockTag?: string;
  durationMs?: number;
  /** Where a successful attempt spent its time (ms). */
  timings?: { downloadMs: number; scoreMs: number; workerMs: number; stageMs: number };
  /** The last failure: message and stack (script or system). */
  error?: { code: string; message: string; stack?: string; attempt: number };
  /** Per-item failures (a bad file, fewer results than files). */
  itemErrors?: { file: string; message: string }[];
  updatedAt?: string;
}

/** A mini-batch's failed items: every file of one that failed for good (its row counts only what a run reported). */
export const failedItemsOf = (mb: MiniBatchRecord): number => (mb.status === 'Failed' ? mb.files.length : mb.failedItems);

/** Table string properties hold 32K UTF-16 characters; longer JSON is split over numbered columns. */
const PART = 30_000;
const MAX_PARTS = 30;

function packJson(prefix: string, value: unknown): Record<string, string | number> {
  const text = JSON.stringify(value);
  const parts = Math.ceil(text.length / PART) || 1;
  if (parts > MAX_PARTS) throw new Error(`${prefix} is too large to record (${text.length} characters); use a smaller miniBatchSize.`);
  const out: Record<string, string | number> = { [`${prefix}Parts`]: parts };
  for (let i = 0; i < parts; i++) out[`${prefix}${i}`] = text.slice(i * PART, (i + 1) * PART);
  return out;
}

function unpackJson<T>(entity: Record<string, unknown>, prefix: string, fallback: T): T {
  const parts = entity[`${prefix}Parts`];
  if (typeof parts !== 'number' || parts <= 0) return fallback;
  let text = '';
  for (let i = 0; i < parts; i++) text += (entity[`${prefix}${i}`] as string) ?? '';
  return JSON.parse(text) as T;
}

/** Whether `token` is what the Table client's pages hand out (base64 of JSON naming the next partition). */
function isTableContinuation(token: string): boolean {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64').toString('latin1'));
    if (typeof decoded !== 'object' || decoded === null) return false;
    const { nextPartitionKey, nextRowKey } = decoded as { nextPartitionKey?: unknown; nextRowKey?: unknown };
    return typeof nextPartitionKey === 'string' && (nextRowKey === undefined || typeof nextRowKey === 'string');
  } catch {
    return false;
  }
}

/**
 * A mini-batch row as one execution last saw or wrote it, never a success: its end may be written
 * conditionally on it (If-Match), which holds only while no other execution has written the row.
 */
export interface RowVersion {
  etag: string;
}

/**
 * How an execution of a mini-batch's attempt starts: it scores (and ends conditionally on the row
 * it left, `seen`), or it finds the attempt's outcome kept already (a success, or this attempt's
 * recorded failure) or a later attempt started: then it scores nothing and reports `kept`.
 */
export type AttemptStart = { run: true; seen?: RowVersion } | { run: false; kept: MiniBatchRecord };

/** An attempt's end as the scoring activity records it. */
export type AttemptEnd = Partial<Omit<MiniBatchRecord, 'index' | 'files' | 'attempts' | 'status'>> & { status: 'Succeeded' | 'Failed' };

const versionOf = (etag: string | undefined): RowVersion | undefined => (etag ? { etag } : undefined);

const attemptOf = (row: Record<string, unknown>) => (row.Attempts as number | undefined) ?? 0;

/** Whether a row keeps its outcome against attempt `attempt`: a success, this attempt's failure, or a later attempt. */
const keeps = (row: Record<string, unknown>, attempt: number) =>
  row.Status === 'Succeeded' || attemptOf(row) > attempt || (attemptOf(row) === attempt && row.Status === 'Failed');

const rowKey = (index: number) => String(index).padStart(9, '0');

/**
 * Mini-batches per partition. Azure Table serves about 2,000 writes/s per partition, and Azurite
 * scans a partition for every point write: a partition per job would slow big jobs on both.
 */
export const MINI_BATCHES_PER_PARTITION = 1000;
/** `~` sorts after every character of a job id and its partition numbers, so ranges stay per job. */
const partitionKey = (jobId: string, index: number) => `${jobId}~${String(Math.floor(index / MINI_BATCHES_PER_PARTITION)).padStart(6, '0')}`;
const escape = (value: string) => value.replace(/'/g, "''");
const jobPartitions = (jobId: string) => `PartitionKey ge '${escape(jobId)}~' and PartitionKey lt '${escape(jobId)}~~'`;

/**
 * Mini-batches of every job in one table: PartitionKey = job id and a block of 1,000 indexes,
 * RowKey = zero-padded index, so a job's mini-batches read back in input order and one mini-batch
 * is one point read.
 */
export class MiniBatchStore {
  constructor(private readonly table: TableClient) {}

  private ensure(): Promise<void> {
    return ensureTable(this.table);
  }

  /**
   * Records how attempt `attempt` of a mini-batch ended, in one write, unless its outcome is kept
   * already: then nothing is written and the row kept is returned. Kept are a success (of any
   * attempt), this attempt's recorded failure, and any row of a later attempt. So the first end
   * recorded decides an attempt, and every execution of it (Durable runs an activity twice at
   * times) reports that same outcome, whichever result reaches the orchestrator first: the counts
   * and the output (finish commits the blocks of Succeeded rows) always agree. With `seen` (the row
   * as this execution's start left it) an end is one conditional write; only when another
   * execution wrote the row since does it read the row and decide again.
   */
  async record(jobId: string, index: number, attempt: number, files: InputFile[], end: AttemptEnd, seen?: RowVersion): Promise<MiniBatchRecord | undefined> {
    await this.ensure();
    const entity = { ...this.columns(jobId, index, { ...end, attempts: attempt }), Index: index, ...packJson('Files', files) };
    if (seen) {
      // The common case: nothing wrote the row since this execution's start, so the row is still
      // what the start left (this attempt, running) and one conditional write decides, with no read.
      try {
        await this.table.updateEntity(entity, 'Merge', { etag: seen.etag });
        return undefined;
      } catch (err) {
        // Another execution wrote meanwhile (412), or the row went (404): decide on what it holds now.
        if (statusOf(err) !== 412 && statusOf(err) !== 404) throw err;
      }
    }
    return this.unlessKept(entity, attempt);
  }

  /** Writes an attempt's end unless the row keeps an outcome (see `record`); conditional on the row as read (ETag), so of two concurrent ends exactly one decides. */
  private async unlessKept(entity: Record<string, unknown> & { partitionKey: string; rowKey: string }, attempt: number): Promise<MiniBatchRecord | undefined> {
    for (let conflicts = 0; ; conflicts++) {
      let row: TableEntityResult<Record<string, unknown>> | undefined;
      try {
        row = await this.table.getEntity(entity.partitionKey, entity.rowKey);
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
      if (row && keeps(row, attempt)) return this.fromEntity(row);
      try {
        if (row) await this.table.updateEntity(entity, 'Merge', { etag: row.etag });
        else await this.table.createEntity(entity);
        return undefined;
      } catch (err) {
        // Another execution wrote the row first: decide again on what it holds now.
        const status = statusOf(err);
        if ((status !== 412 && status !== 409 && status !== 404) || conflicts >= 10) throw err;
      }
    }
  }

  /**
   * Starts attempt `attempt` of a mini-batch (numbered by the orchestrator, from 1) in its row. The
   * first start creates the row (Running); a start that finds an earlier attempt's row (failed, or
   * left running by an execution that crashed or still runs elsewhere) moves it to this attempt,
   * conditional on its ETag (of two concurrent starts one wins, the other reads again); a start
   * that finds this attempt running is the same attempt delivered again (a duplicate, or
   * redelivered after a crash) and writes nothing. One that finds an outcome kept (see `record`)
   * does not run. One write per attempt; a read only on retries and duplicates.
   */
  async startAttempt(jobId: string, index: number, attempt: number, files: InputFile[]): Promise<AttemptStart> {
    await this.ensure();
    const keys = { partitionKey: partitionKey(jobId, index), rowKey: rowKey(index) };
    for (let conflicts = 0; ; conflicts++) {
      try {
        const created = await this.table.createEntity({ ...keys, Index: index, Status: 'Running', Attempts: attempt, UpdatedAt: new Date().toISOString(), ...packJson('Files', files) });
        return { run: true, seen: versionOf(created.etag) };
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
      let row: TableEntityResult<Record<string, unknown>>;
      try {
        row = await this.table.getEntity(keys.partitionKey, keys.rowKey);
      } catch (err) {
        if (statusOf(err) === 404) continue; // removed between the two calls: create it
        throw err;
      }
      if (keeps(row, attempt)) return { run: false, kept: this.fromEntity(row) };
      if (attemptOf(row) === attempt) return { run: true, seen: versionOf(row.etag) };
      try {
        const updated = await this.table.updateEntity({ ...keys, Status: 'Running', Attempts: attempt, UpdatedAt: new Date().toISOString() }, 'Merge', { etag: row.etag });
        return { run: true, seen: versionOf(updated.etag) };
      } catch (err) {
        // Another start (or an attempt's end) changed the row first: decide again on what it holds now.
        if (statusOf(err) !== 412 || conflicts >= 10) throw err;
      }
    }
  }

  private fromEntity(e: TableEntityResult<Record<string, unknown>>): MiniBatchRecord {
    return {
      index: e.Index as number,
      files: unpackJson<InputFile[]>(e, 'Files', []),
      status: e.Status as MiniBatchStatus,
      attempts: (e.Attempts as number) ?? 0,
      succeededItems: (e.SucceededItems as number) ?? 0,
      failedItems: (e.FailedItems as number) ?? 0,
      outputRows: (e.OutputRows as number) ?? 0,
      blocks: (e.Blocks as string) || undefined,
      blockTag: (e.BlockTag as string) || undefined,
      durationMs: e.DurationMs as number | undefined,
      timings: unpackJson(e, 'Timings', undefined),
      error: unpackJson(e, 'Error', undefined),
      itemErrors: unpackJson(e, 'ItemErrors', undefined),
      updatedAt: e.UpdatedAt as string | undefined,
    };
  }

  async tryGet(jobId: string, index: number): Promise<MiniBatchRecord | undefined> {
    await this.ensure();
    try {
      return this.fromEntity(await this.table.getEntity(partitionKey(jobId, index), rowKey(index)));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private columns(jobId: string, index: number, patch: Partial<Omit<MiniBatchRecord, 'index' | 'files'>>) {
    const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = { partitionKey: partitionKey(jobId, index), rowKey: rowKey(index), UpdatedAt: new Date().toISOString() };
    if (patch.status !== undefined) entity.Status = patch.status;
    // A retry that succeeded leaves no error behind from the attempts before it.
    if (patch.status === 'Succeeded') entity.ErrorParts = 0;
    if (patch.attempts !== undefined) entity.Attempts = patch.attempts;
    if (patch.succeededItems !== undefined) entity.SucceededItems = patch.succeededItems;
    if (patch.failedItems !== undefined) entity.FailedItems = patch.failedItems;
    if (patch.outputRows !== undefined) entity.OutputRows = patch.outputRows;
    if (patch.blocks !== undefined) entity.Blocks = patch.blocks;
    if (patch.blockTag !== undefined) entity.BlockTag = patch.blockTag;
    if (patch.durationMs !== undefined) entity.DurationMs = patch.durationMs;
    if (patch.timings !== undefined) Object.assign(entity, packJson('Timings', patch.timings));
    if (patch.error !== undefined) Object.assign(entity, packJson('Error', patch.error));
    if (patch.itemErrors !== undefined) Object.assign(entity, packJson('ItemErrors', patch.itemErrors.slice(0, 100)));
    return entity;
  }

  /** Every mini-batch of a job, in index order (for committing output and writing logs). */
  async *list(jobId: string, filter?: string): AsyncGenerator<MiniBatchRecord> {
    await this.ensure();
    const clauses = [jobPartitions(jobId)];
    if (filter) clauses.push(filter);
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: clauses.join(' and ') } })) {
      yield this.fromEntity(e);
    }
  }

  /** Mini-batches `from` to `to - 1` of a job (those that ran), in index order. */
  async *listRange(jobId: string, from: number, to: number): AsyncGenerator<MiniBatchRecord> {
    if (to <= from) return;
    const partitions = `PartitionKey ge '${escape(partitionKey(jobId, from))}' and PartitionKey le '${escape(partitionKey(jobId, to - 1))}'`;
    yield* this.list(jobId, `${partitions} and RowKey ge '${rowKey(from)}' and RowKey lt '${rowKey(to)}'`);
  }

  /** Mini-batches with a failure to report (whole-batch failures or failed items), a page at a time. */
  async listProblems(jobId: string, top: number, continuation?: string): Promise<{ items: MiniBatchRecord[]; continuation?: string }> {
    // The token comes from a URL ($skiptoken): one the Table client cannot decode is the caller's error, not a 500.
    if (continuation !== undefined && !isTableContinuation(continuation)) {
      throw new ApiError(400, 'InvalidQueryParameter', 'The continuation token is not valid; start the listing again.', '$skiptoken');
    }
    await this.ensure();
    const filter = `${jobPartitions(jobId)} and (Status eq 'Failed' or FailedItems gt 0)`;
    // Azure Table ends a page at every partition boundary (often with nothing in it): keep reading
    // until the page is full or the job's rows are done, so a client never sees an empty page
    // with more to come.
    const items: MiniBatchRecord[] = [];
    let token = continuation;
    do {
      const page = await this.table
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: top - items.length, continuationToken: token })
        .next();
      if (page.done) return { items };
      for (const e of page.value) items.push(this.fromEntity(e));
      token = page.value.continuationToken;
    } while (token && items.length < top);
    return { items, continuation: token };
  }
}
