import { createHash } from 'node:crypto';
import { ensureTable, statusOf, tryGetEntity } from '../storage/once';
import { setTimeout as sleep } from 'node:timers/promises';
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { ApiError, conflict, notFound } from '../http/apiError';
import type { Caller } from '../auth/caller';
import { keyOf } from '../registry/names';
import { refusal, type JobStep, type Refusal } from './status';
import type { JobError, JobProgress, JobRecord, JobSpec, JobStatus } from './types';


// A Table string property holds 64 KiB = 32K UTF-16 units.
const MAX_COLUMN_CHARS = 32_000;
// RowKeys this store reads: job ids and the like. Anything else (from a URL) cannot be a job.
const SAFE_KEY = /^[A-Za-z0-9_.-]{1,255}$/;

export const DEFAULT_LIST_TOP = 20;
export const MAX_LIST_TOP = 1000;

interface JobEntity {
  partitionKey: string;
  rowKey: string;
  Spec: string;
  Status: JobStatus;
  Progress: string;
  Error?: string;
  CreatedBy: string;
  CreationTime: string;
  StartTime?: string;
  EndTime?: string;
  LogsUri?: string;
}

/** Where a job lives, by id alone: one row per job, written before the job's row (`findById`). */
interface JobIndexEntity {
  partitionKey: string;
  rowKey: string;
  /** The job's PartitionKey (its endpoint's name, lower case). */
  Endpoint: string;
}

/**
 * The index row's key: `jobid:<xx>` partitions (xx from a hash of the id, so writes spread over 256
 * partitions; job partitions are endpoint names, which cannot contain ':'), RowKey the job id.
 */
const indexKey = (jobId: string) => ({ partitionKey: `jobid:${createHash('sha256').update(jobId).digest('hex').slice(0, 2)}`, rowKey: jobId });

export type JobPatch = Partial<Pick<JobRecord, 'status' | 'progress' | 'error' | 'startTime' | 'endTime' | 'logsUri'>>;

export interface UpdateOptions {
  /** The step writing: it applies only from the statuses that step may start from (status.ts). */
  step?: JobStep;
}

/** `applied: false` says why nothing was written (see Refusal); `record` is always the job as it now is. */
export type UpdateResult = { applied: true; record: JobRecord } | { applied: false; record: JobRecord; reason: Refusal };

export interface ListOptions {
  /** 1..1000, default 20. */
  top?: number;
  /** From the previous page's `continuation`. */
  continuation?: string;
  status?: JobStatus | readonly JobStatus[];
  /** Keeps only the jobs it accepts (filters on JSON columns, e.g. tags); more rows are read to fill the page. */
  where?: (job: JobRecord) => boolean;
}

export interface JobPage {
  items: JobRecord[];
  /** Present when more jobs follow: the last RowKey returned (job ids sort newest first). */
  continuation?: string;
}

const jobNotFound = (endpoint: string, jobId: string): ApiError =>
  notFound(`Job '${jobId}' of batch endpoint '${endpoint}'`, 'jobId');

function column(what: string, value: unknown): string {
  const text = JSON.stringify(value);
  if (text.length > MAX_COLUMN_CHARS) {
    throw new ApiError(
      413,
      'JobTooLarge',
      `The job's ${what} is ${text.length} characters as JSON; at most ${MAX_COLUMN_CHARS} can be stored ` +
        '(fewer or shorter literal inputs, tags or descriptions).',
    );
  }
  return text;
}

/** Error messages can be long (stacks, script output): shortened so the column always fits. */
function errorColumn(error: JobError): string {
  const room = MAX_COLUMN_CHARS - 1000;
  return JSON.stringify(error.message.length > room ? { ...error, message: `${error.message.slice(0, room)}…` } : error);
}

function toEntityColumns(patch: JobPatch): Partial<JobEntity> {
  const out: Partial<JobEntity> = {};
  if (patch.status !== undefined) out.Status = patch.status;
  if (patch.progress !== undefined) out.Progress = JSON.stringify(patch.progress);
  if (patch.error !== undefined) out.Error = errorColumn(patch.error);
  if (patch.startTime !== undefined) out.StartTime = patch.startTime;
  if (patch.endTime !== undefined) out.EndTime = patch.endTime;
  if (patch.logsUri !== undefined) out.LogsUri = patch.logsUri;
  return out;
}

function toRecord(e: TableEntityResult<JobEntity>): JobRecord {
  return {
    jobId: e.rowKey,
    spec: JSON.parse(e.Spec) as JobSpec,
    status: e.Status,
    progress: JSON.parse(e.Progress) as JobProgress,
    ...(e.Error ? { error: JSON.parse(e.Error) as JobError } : {}),
    createdBy: JSON.parse(e.CreatedBy) as Caller,
    creationTime: e.CreationTime,
    ...(e.StartTime ? { startTime: e.StartTime } : {}),
    ...(e.EndTime ? { endTime: e.EndTime } : {}),
    ...(e.LogsUri ? { logsUri: e.LogsUri } : {}),
    etag: e.etag,
    ...(e.timestamp ? { updatedAt: e.timestamp } : {}),
  };
}

/**
 * Jobs in Table Storage: PartitionKey = endpoint name (lower case), RowKey = job id, so one
 * endpoint's jobs list newest first and a job is one point read. The spec, progress, error and
 * creator are JSON columns; status and times are plain columns so `$filter` can use them. An index
 * row per job (`jobid:<xx>` / job id -> endpoint) finds a job by id alone in two point reads.
 */
export class JobStore {
  constructor(private readonly table: TableClient) {}

  /** Records a new job; never overwrites (409 if the id is taken). Returns it with its ETag. */
  async create(record: JobRecord): Promise<JobRecord> {
    await ensureTable(this.table);
    const entity: JobEntity = {
      partitionKey: keyOf(record.spec.endpointName),
      rowKey: record.jobId,
      Spec: column('specification', record.spec),
      ...toEntityColumns(record),
      Status: record.status,
      Progress: JSON.stringify(record.progress),
      CreatedBy: JSON.stringify(record.createdBy),
      CreationTime: record.creationTime,
    };
    // The index first: a job that can be read is always found by id. If the job's row then fails,
    // the index names an endpoint without that job, which reads as not found.
    await this.index(record.jobId, entity.partitionKey);
    try {
      const { etag } = await this.table.createEntity(entity);
      return toRecord({ ...entity, etag: etag ?? '' });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // The insert sent again by the storage client (its answer was lost after the service
      // applied it) finds its own row: this job, recorded.
      const existing = await tryGetEntity<JobEntity>(this.table, entity.partitionKey, entity.rowKey);
      if (existing && existing.Spec === entity.Spec && existing.CreationTime === entity.CreationTime) return toRecord(existing);
      throw conflict(`Job '${record.jobId}' already exists.`, 'jobId');
    }
  }

  /** The job, or undefined (also for ids that cannot be job ids). One point read. */
  async get(endpoint: string, jobId: string): Promise<JobRecord | undefined> {
    if (!SAFE_KEY.test(jobId)) return undefined;
    await ensureTable(this.table);
    try {
      return toRecord(await this.table.getEntity<JobEntity>(keyOf(endpoint), jobId));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** The job, or 404 NotFound naming it. */
  async getOrThrow(endpoint: string, jobId: string): Promise<JobRecord> {
    const job = await this.get(endpoint, jobId);
    if (!job) throw jobNotFound(endpoint, jobId);
    return job;
  }

  /**
   * A job by id alone (Azure ML's workspace-level `jobs/{id}`), whichever endpoint it ran on, also
   * after that endpoint was deleted: the index row, then the job's row. A job recorded before the
   * index existed has no index row: it is found by a query on RowKey across partitions (reads the
   * table's keys), and indexed then, so the next read is two point reads. An unknown id pays the scan.
   */
  async findById(jobId: string): Promise<JobRecord | undefined> {
    if (!SAFE_KEY.test(jobId)) return undefined;
    await ensureTable(this.table);
    const key = indexKey(jobId);
    const indexed = await tryGetEntity<JobIndexEntity>(this.table, key.partitionKey, key.rowKey);
    if (indexed) return this.get(indexed.Endpoint, jobId);
    const rows = this.table.listEntities<JobEntity>({ queryOptions: { filter: odata`RowKey eq ${jobId}` } });
    for await (const row of rows) {
      if (row.Spec === undefined) continue; // an idempotency or claim row with this key
      await this.index(jobId, row.partitionKey).catch(() => undefined); // best effort: the scan finds it again
      return toRecord(row);
    }
    return undefined;
  }

  /**
   * Writes the job's index row; idempotent (a create retried for the same job finds its own row).
   * Another endpoint's job with the same id is a 409: job ids are the orchestrations' instance
   * ids, so they must be unique across endpoints.
   */
  private async index(jobId: string, endpointKey: string): Promise<void> {
    const row: JobIndexEntity = { ...indexKey(jobId), Endpoint: endpointKey };
    try {
      await this.table.createEntity(row);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const existing = await tryGetEntity<JobIndexEntity>(this.table, row.partitionKey, row.rowKey);
      if (existing?.Endpoint !== endpointKey) throw conflict(`Job '${jobId}' already exists.`, 'jobId');
    }
  }

  /** One page of an endpoint's jobs, newest first, optionally only those in the given status(es). */
  async list(endpoint: string, options: ListOptions = {}): Promise<JobPage> {
    const top = options.top ?? DEFAULT_LIST_TOP;
    if (!Number.isInteger(top) || top < 1 || top > MAX_LIST_TOP) {
      throw new ApiError(400, 'InvalidQueryParameter', `$top must be an integer from 1 to ${MAX_LIST_TOP}.`, '$top');
    }
    const { continuation } = options;
    if (continuation !== undefined && !SAFE_KEY.test(continuation)) {
      throw new ApiError(400, 'InvalidQueryParameter', 'The continuation token is not valid; start the listing again.', 'continuation');
    }
    const statuses = options.status === undefined ? [] : typeof options.status === 'string' ? [options.status] : options.status;
    let filter = odata`PartitionKey eq ${keyOf(endpoint)}`;
    if (continuation) filter += odata` and RowKey gt ${continuation}`;
    if (statuses.length) filter += ` and (${statuses.map((s) => odata`Status eq ${s}`).join(' or ')})`;

    await ensureTable(this.table);
    // One more than asked tells whether another page exists without a second round trip.
    const items: JobRecord[] = [];
    const pages = this.table.listEntities<JobEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: top + 1 });
    for await (const page of pages) {
      for (const e of page) {
        const job = toRecord(e);
        if (!options.where || options.where(job)) items.push(job);
      }
      if (items.length > top) break;
    }
    if (items.length <= top) return { items };
    const shown = items.slice(0, top);
    return { items: shown, continuation: shown[shown.length - 1]!.jobId };
  }

  /**
   * Merges a patch into the job if the status machine allows it (status.ts): read, check, then
   * merge with If-Match on the read ETag; a concurrent change (412) means read and check again.
   * Fields left undefined are not touched. 404 NotFound when the job does not exist.
   */
  async update(endpoint: string, jobId: string, patch: JobPatch | ((current: JobRecord) => JobPatch), options: UpdateOptions = {}): Promise<UpdateResult> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await this.get(endpoint, jobId);
      if (!current) throw jobNotFound(endpoint, jobId);
      // A function patch is computed from the job as read, so concurrent writers cannot lose each other's fields.
      const patch_ = typeof patch === 'function' ? patch(current) : patch;
      const reason = refusal(current.status, patch_.status, options.step);
      if (reason) return { applied: false, record: current, reason };
      const columns = toEntityColumns(patch_);
      if (Object.keys(columns).length === 0) return { applied: true, record: current };
      try {
        const entity = { partitionKey: keyOf(endpoint), rowKey: jobId, ...columns };
        const { etag } = await this.table.updateEntity(entity, 'Merge', { etag: current.etag! });
        return { applied: true, record: { ...current, ...patch_, etag: etag ?? '' } };
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
        await sleep(Math.random() * 20 * (attempt + 1)); // spread out writers racing for the same job
      }
    }
    throw conflict(`Job '${jobId}' is being changed by many writers at the same time; retry.`, 'jobId');
  }
}
