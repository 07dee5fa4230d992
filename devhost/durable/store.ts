import { RestError } from '@azure/storage-blob';
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';
import { randomBytes } from 'node:crypto';
import type { HostStorage } from '../storage';
import type { HistoryEvent } from './history';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';
export const ACTIVE_STATUSES: RuntimeStatus[] = ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'];
/** Not yet ended: every other status (Completed, Failed, Terminated, Canceled) is final. */
export const isActive = (status: string): boolean => (ACTIVE_STATUSES as string[]).includes(status);

/** One orchestration instance, as kept in the Instances table. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  status: RuntimeStatus;
  /** JSON text (null when absent) */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  parentInstanceId?: string;
  parentExecutionId?: string;
  parentTaskId?: number;
  etag?: string;
}

/** The committed block ids and ETag of one execution's history blob. */
export interface HistoryCursor {
  blocks: string[];
  etag?: string;
}

export interface InboxMessage {
  messageId: string;
  event: HistoryEvent;
}

/** Table string properties hold 32K UTF-16 characters; larger values go to a blob. */
const INLINE_LIMIT = 30_000;
/** A block holds up to 4000 MiB; smaller blocks keep single requests short. */
const BLOCK_BYTES = 16 * 1024 * 1024;

function isStatus(err: unknown, ...codes: number[]): boolean {
  return typeof (err as RestError)?.statusCode === 'number' && codes.includes((err as RestError).statusCode!);
}

/**
 * Durable state in Azure Storage: instances in a table, each execution's history in a block blob
 * (one block list commit per episode: atomic, conditional on the blob's ETag), and the messages
 * sent to an instance (events, terminate, suspend) in an inbox table until its history has them.
 */
export class DurableStore {
  readonly instances: TableClient;
  readonly inbox: TableClient;
  readonly history: ContainerClient;
  readonly payloads: ContainerClient;
  /** Partition leases and live hosts, when several hosts share the hub. */
  readonly leases: TableClient;
  /** Prefix of the hub's queue names (control queues, work items). */
  readonly queuePrefix: string;

  constructor(storage: HostStorage, readonly hubName: string) {
    const tablePrefix = hubName.replace(/[^A-Za-z0-9]/g, '');
    const containerPrefix = hubName.toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/^-+/, '').slice(0, 40) || 'hub';
    this.instances = storage.table(`${tablePrefix}Instances`);
    this.inbox = storage.table(`${tablePrefix}Inbox`);
    this.history = storage.blob.getContainerClient(`${containerPrefix}-history`);
    this.payloads = storage.blob.getContainerClient(`${containerPrefix}-payloads`);
    this.leases = storage.table(`${tablePrefix}Leases`);
    this.queuePrefix = containerPrefix;
  }

  async init(): Promise<void> {
    await Promise.all([
      this.instances.createTable(),
      this.inbox.createTable(),
      this.history.createIfNotExists(),
      this.payloads.createIfNotExists(),
    ]);
  }

  // ---- instances ----

  private payloadName(instanceId: string, field: string): string {
    return `${encodeURIComponent(instanceId)}/${field}`;
  }

  private async pack(instanceId: string, field: string, value: string | null): Promise<Record<string, unknown>> {
    if (value === null || value.length <= INLINE_LIMIT) return { [field]: value ?? '', [`${field}Null`]: value === null, [`${field}Blob`]: '' };
    const name = `${this.payloadName(instanceId, field)}-${randomBytes(6).toString('hex')}`;
    await this.payloads.getBlockBlobClient(name).upload(value, Buffer.byteLength(value));
    return { [field]: '', [`${field}Null`]: false, [`${field}Blob`]: name };
  }

  private async unpack(entity: Record<string, unknown>, field: string): Promise<string | null> {
    const blob = entity[`${field}Blob`];
    if (typeof blob === 'string' && blob) {
      return (await this.payloads.getBlockBlobClient(blob).downloadToBuffer()).toString('utf8');
    }
    if (entity[`${field}Null`] === true) return null;
    return typeof entity[field] === 'string' ? (entity[field] as string) : null;
  }

  private async toEntity(record: InstanceRecord): Promise<Record<string, unknown> & { partitionKey: string; rowKey: string }> {
    return {
      partitionKey: record.instanceId,
      rowKey: '',
      Name: record.name,
      ExecutionId: record.executionId,
      RuntimeStatus: record.status,
      CreatedTime: record.createdTime,
      LastUpdatedTime: record.lastUpdatedTime,
      ParentInstanceId: record.parentInstanceId ?? '',
      ParentExecutionId: record.parentExecutionId ?? '',
      ParentTaskId: record.parentTaskId ?? -1,
      ...(await this.pack(record.instanceId, 'Input', record.input)),
      ...(await this.pack(record.instanceId, 'Output', record.output)),
      ...(await this.pack(record.instanceId, 'CustomStatus', record.customStatus)),
    };
  }

  private async fromEntity(e: TableEntityResult<Record<string, unknown>>): Promise<InstanceRecord> {
    const parentTaskId = e.ParentTaskId as number;
    return {
      instanceId: e.partitionKey!,
      name: e.Name as string,
      executionId: e.ExecutionId as string,
      status: e.RuntimeStatus as RuntimeStatus,
      input: await this.unpack(e, 'Input'),
      output: await this.unpack(e, 'Output'),
      customStatus: await this.unpack(e, 'CustomStatus'),
      createdTime: e.CreatedTime as string,
      lastUpdatedTime: e.LastUpdatedTime as string,
      parentInstanceId: (e.ParentInstanceId as string) || undefined,
      parentExecutionId: (e.ParentExecutionId as string) || undefined,
      parentTaskId: parentTaskId >= 0 ? parentTaskId : undefined,
      etag: e.etag,
    };
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      return await this.fromEntity(await this.instances.getEntity(instanceId, ''));
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /** Creates the row; false when one exists already (somebody else created it first). */
  async createInstance(record: InstanceRecord): Promise<boolean> {
    try {
      await this.instances.createEntity(await this.toEntity(record));
      return true;
    } catch (err) {
      if (isStatus(err, 409)) return false;
      throw err;
    }
  }

  /** Replaces the row only if it still has `etag`; false when it changed meanwhile. */
  async replaceInstance(record: InstanceRecord, etag: string): Promise<boolean> {
    try {
      await this.instances.updateEntity(await this.toEntity(record), 'Replace', { etag });
      return true;
    } catch (err) {
      if (isStatus(err, 412, 404)) return false;
      throw err;
    }
  }

  async saveInstance(record: InstanceRecord): Promise<void> {
    await this.instances.upsertEntity(await this.toEntity(record), 'Replace');
  }

  async queryInstances(filter: {
    statuses?: string[];
    createdFrom?: string;
    createdTo?: string;
    pageSize?: number;
    continuation?: string;
  }): Promise<{ items: InstanceRecord[]; continuation?: string }> {
    const clauses: string[] = [];
    if (filter.statuses?.length) clauses.push(`(${filter.statuses.map((s) => `RuntimeStatus eq '${s.replace(/'/g, "''")}'`).join(' or ')})`);
    if (filter.createdFrom) clauses.push(`CreatedTime ge '${filter.createdFrom.replace(/'/g, "''")}'`);
    if (filter.createdTo) clauses.push(`CreatedTime le '${filter.createdTo.replace(/'/g, "''")}'`);
    const pages = this.instances
      .listEntities<Record<string, unknown>>({ queryOptions: clauses.length ? { filter: clauses.join(' and ') } : undefined })
      .byPage({ maxPageSize: filter.pageSize ?? 1000, continuationToken: filter.continuation });
    const page = await pages.next();
    if (page.done) return { items: [] };
    const items = await Promise.all(page.value.map((e) => this.fromEntity(e)));
    return { items, continuation: page.value.continuationToken };
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await this.instances.deleteEntity(instanceId, '').catch((err) => {
      if (!isStatus(err, 404)) throw err;
    });
    await this.deletePrefix(this.payloads, `${encodeURIComponent(instanceId)}/`);
  }

  // ---- history ----

  private historyBlob(instanceId: string, executionId: string) {
    return this.history.getBlockBlobClient(`${encodeURIComponent(instanceId)}/${executionId}.jsonl`);
  }

  async readHistory(instanceId: string, executionId: string): Promise<{ events: HistoryEvent[]; cursor: HistoryCursor }> {
    const blob = this.historyBlob(instanceId, executionId);
    try {
      const list = await blob.getBlockList('committed');
      const download = await blob.downloadToBuffer();
      const events = download
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as HistoryEvent);
      return { events, cursor: { blocks: (list.committedBlocks ?? []).map((b) => b.name), etag: list.etag } };
    } catch (err) {
      if (isStatus(err, 404)) return { events: [], cursor: { blocks: [] } };
      throw err;
    }
  }

  /**
   * Appends one episode's events: stage the block(s), then commit the whole list on the
   * condition that nobody committed since we read. The commit is the atomic step.
   */
  async appendHistory(instanceId: string, executionId: string, events: HistoryEvent[], cursor: HistoryCursor): Promise<HistoryCursor> {
    const blob = this.historyBlob(instanceId, executionId);
    const data = Buffer.from(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const newBlocks: string[] = [];
    for (let offset = 0; offset < data.length; offset += BLOCK_BYTES) {
      const id = Buffer.from(`b${String(cursor.blocks.length + newBlocks.length).padStart(9, '0')}`).toString('base64');
      const chunk = data.subarray(offset, Math.min(offset + BLOCK_BYTES, data.length));
      await blob.stageBlock(id, chunk, chunk.length);
      newBlocks.push(id);
    }
    const blocks = [...cursor.blocks, ...newBlocks];
    const response = await blob.commitBlockList(blocks, {
      conditions: cursor.etag ? { ifMatch: cursor.etag } : { ifNoneMatch: '*' },
    });
    return { blocks, etag: response.etag };
  }

  async deleteHistory(instanceId: string): Promise<void> {
    await this.deletePrefix(this.history, `${encodeURIComponent(instanceId)}/`);
  }

  // ---- inbox ----

  /** Ids sort by arrival so the inbox reads back in order. */
  newMessageId(): string {
    return `${Date.now().toString().padStart(15, '0')}-${process.hrtime.bigint().toString().slice(-9)}-${randomBytes(4).toString('hex')}`;
  }

  async addInbox(instanceId: string, event: HistoryEvent): Promise<string> {
    const messageId = this.newMessageId();
    const payload = JSON.stringify({ ...event, MessageId: messageId });
    let blob = '';
    if (payload.length > INLINE_LIMIT) {
      blob = `${this.payloadName(instanceId, 'inbox')}-${messageId}`;
      await this.payloads.getBlockBlobClient(blob).upload(payload, Buffer.byteLength(payload));
    }
    await this.inbox.createEntity({ partitionKey: instanceId, rowKey: messageId, Event: blob ? '' : payload, EventBlob: blob });
    return messageId;
  }

  async listInbox(instanceId: string): Promise<InboxMessage[]> {
    const messages: InboxMessage[] = [];
    const filter = `PartitionKey eq '${instanceId.replace(/'/g, "''")}'`;
    for await (const e of this.inbox.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      const text = e.EventBlob
        ? (await this.payloads.getBlockBlobClient(e.EventBlob as string).downloadToBuffer()).toString('utf8')
        : (e.Event as string);
      messages.push({ messageId: e.rowKey!, event: JSON.parse(text) as HistoryEvent });
    }
    return messages;
  }

  async deleteInbox(instanceId: string, messageIds: string[]): Promise<void> {
    for (let i = 0; i < messageIds.length; i += 100) {
      const batch = messageIds.slice(i, i + 100).map((id) => ['delete', { partitionKey: instanceId, rowKey: id }] as const);
      await this.inbox.submitTransaction(batch.map((b) => [...b])).catch(async () => {
        // A row already gone fails the batch: fall back to one by one.
        for (const [, key] of batch) await this.inbox.deleteEntity(key.partitionKey, key.rowKey).catch(() => undefined);
      });
    }
  }

  async clearInbox(instanceId: string): Promise<void> {
    const ids = (await this.listInbox(instanceId)).map((m) => m.messageId);
    await this.deleteInbox(instanceId, ids);
  }

  private async deletePrefix(container: ContainerClient, prefix: string): Promise<void> {
    for await (const item of container.listBlobsFlat({ prefix })) {
      await container.deleteBlob(item.name).catch((err) => {
        if (!isStatus(err, 404)) throw err;
      });
    }
  }
}
