import { ensureTable, statusOf } from '../storage/once';
import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { ApiError, conflict } from '../http/apiError';
import type { SystemData } from '../http/envelope';
import type { Caller } from '../auth/caller';

/** What is stored for a resource: its validated properties and, for ARM-tracked kinds, tags. */
export interface Doc<P> {
  properties: P;
  tags?: Record<string, string>;
}

/** One stored resource, with what is needed to update it conditionally. */
export interface StoredRecord<P> {
  partitionKey: string;
  rowKey: string;
  /** The name as first given (keys are lower case). */
  name: string;
  doc: Doc<P>;
  createdAt: string;
  createdBy: Caller;
  lastModifiedAt: string;
  lastModifiedBy: Caller;
  etag: string;
}

interface Entity {
  partitionKey: string;
  rowKey: string;
  Name: string;
  Document: string;
  CreatedAt: string;
  CreatedBy: string;
  LastModifiedAt: string;
  LastModifiedBy: string;
}

// A Table string property holds 64 KiB = 32K UTF-16 units; refusing early gives a clear error.
const MAX_DOCUMENT_CHARS = 32_000;
/** Management bodies larger than this cannot be stored anyway, so they are refused at read time. */
export const REGISTRY_MAX_BODY_BYTES = 32 * 1024;


/** ARM `systemData` for a record: people are shown by name, as ARM shows a UPN. */
export function systemDataOf(r: Pick<StoredRecord<unknown>, 'createdAt' | 'createdBy' | 'lastModifiedAt' | 'lastModifiedBy'>): SystemData {
  return {
    createdBy: r.createdBy.name,
    createdAt: r.createdAt,
    lastModifiedBy: r.lastModifiedBy.name,
    lastModifiedAt: r.lastModifiedAt,
  };
}

/**
 * The registry's single table. PartitionKey = kind (plus parent), RowKey = lower-cased name or
 * version; the validated document is one JSON column. Creation uses insert (fails if the row
 * exists) and updates send the ETag read, so two concurrent writers can never both "win".
 */
export class RegistryStore {
  private readonly table: TableClient;
  private readonly now: () => Date;

  constructor(options: { table: TableClient; now?: () => Date }) {
    this.table = options.table;
    this.now = options.now ?? (() => new Date());
  }

  private ensureTable(): Promise<void> {
    return ensureTable(this.table);
  }

  private toRecord<P>(e: TableEntityResult<Entity>): StoredRecord<P> {
    return {
      partitionKey: e.partitionKey,
      rowKey: e.rowKey,
      name: e.Name,
      doc: JSON.parse(e.Document) as Doc<P>,
      createdAt: e.CreatedAt,
      createdBy: JSON.parse(e.CreatedBy) as Caller,
      lastModifiedAt: e.LastModifiedAt,
      lastModifiedBy: JSON.parse(e.LastModifiedBy) as Caller,
      etag: e.etag,
    };
  }

  private serialize<P>(doc: Doc<P>): string {
    const text = JSON.stringify(doc);
    if (text.length > MAX_DOCUMENT_CHARS) {
      const why = `${text.length} characters; at most ${MAX_DOCUMENT_CHARS}`;
      throw new ApiError(413, 'PayloadTooLarge', `The resource is too large to store (${why}).`);
    }
    return text;
  }

  async get<P>(partitionKey: string, rowKey: string): Promise<StoredRecord<P> | undefined> {
    await this.ensureTable();
    try {
      return this.toRecord<P>(await this.table.getEntity<Entity>(partitionKey, rowKey));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async list<P>(partitionKey: string): Promise<StoredRecord<P>[]> {
    await this.ensureTable();
    const out: StoredRecord<P>[] = [];
    const filter = odata`PartitionKey eq ${partitionKey}`;
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter } })) out.push(this.toRecord<P>(e));
    return out;
  }

  /** Every row whose PartitionKey starts with `prefix` (e.g. all versions of all models). */
  async listByPartitionPrefix<P>(prefix: string): Promise<StoredRecord<P>[]> {
    await this.ensureTable();
    const out: StoredRecord<P>[] = [];
    // Keys are compared as strings: the range [prefix, prefix + U+FFFF) holds exactly the keys that start with it.
    const filter = odata`PartitionKey ge ${prefix} and PartitionKey lt ${`${prefix}\uffff`}`;
    for await (const e of this.table.listEntities<Entity>({ queryOptions: { filter } })) out.push(this.toRecord<P>(e));
    return out;
  }

  /** Inserts a new row; undefined when the row already exists (someone else created it first). */
  async create<P>(partitionKey: string, rowKey: string, name: string, doc: Doc<P>, caller: Caller): Promise<StoredRecord<P> | undefined> {
    await this.ensureTable();
    const at = this.now().toISOString();
    const who = JSON.stringify(caller);
    const entity: Entity = {
      partitionKey,
      rowKey,
      Name: name,
      Document: this.serialize(doc),
      CreatedAt: at,
      CreatedBy: who,
      LastModifiedAt: at,
      LastModifiedBy: who,
    };
    try {
      const { etag } = await this.table.createEntity(entity);
      return this.toRecord<P>({ ...entity, etag: etag ?? '' });
    } catch (err) {
      if (statusOf(err) === 409) return undefined;
      throw err;
    }
  }

  /** Replaces a row read before, only if nobody changed it since (If-Match); 409 Conflict otherwise. */
  async replace<P>(current: StoredRecord<P>, doc: Doc<P>, caller: Caller): Promise<StoredRecord<P>> {
    await this.ensureTable();
    const entity: Entity = {
      partitionKey: current.partitionKey,
      rowKey: current.rowKey,
      Name: current.name,
      Document: this.serialize(doc),
      CreatedAt: current.createdAt,
      CreatedBy: JSON.stringify(current.createdBy),
      LastModifiedAt: this.now().toISOString(),
      LastModifiedBy: JSON.stringify(caller),
    };
    try {
      const { etag } = await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
      return this.toRecord<P>({ ...entity, etag: etag ?? '' });
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 404) {
        throw conflict(`'${current.name}' was changed or deleted by another request at the same time; read it again and retry.`);
      }
      throw err;
    }
  }

  /**
   * Creates the row or replaces it (last writer wins, but a create never overwrites a row that
   * appeared meanwhile: the loop re-reads and replaces it conditionally instead).
   */
  async put<P>(
    partitionKey: string,
    rowKey: string,
    name: string,
    doc: Doc<P>,
    caller: Caller,
  ): Promise<{ record: StoredRecord<P>; created: boolean }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.get<P>(partitionKey, rowKey);
      if (current) return { record: await this.replace(current, doc, caller), created: false };
      const record = await this.create(partitionKey, rowKey, name, doc, caller);
      if (record) return { record, created: true };
    }
    throw conflict(`'${name}' is being changed by other requests at the same time; retry.`);
  }

  /** Deletes a row; false when it did not exist. */
  async delete(partitionKey: string, rowKey: string): Promise<boolean> {
    await this.ensureTable();
    try {
      await this.table.deleteEntity(partitionKey, rowKey);
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  /** Deletes every row of a partition (a parent's children); returns how many were deleted. */
  async deletePartition(partitionKey: string): Promise<number> {
    const rows = await this.list(partitionKey);
    const deleted = await Promise.all(rows.map((r) => this.delete(r.partitionKey, r.rowKey)));
    return deleted.filter(Boolean).length;
  }
}
