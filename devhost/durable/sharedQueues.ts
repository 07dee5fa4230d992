import type { ContainerClient } from '@azure/storage-blob';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { HostStorage } from '../storage';
import { partitionOf } from './partitions';

/** An activity to run, as any host on the hub can take it from the work-item queue. */
export interface WorkItem {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: string | null;
}

export interface Received<T> {
  value: T;
  message: DequeuedMessageItem;
}

/** Queue messages hold 64 KB of base64: bigger payloads go to a blob, the message names it. */
const INLINE_BYTES = 45_000;

/**
 * The queues several hosts on one hub share, as the Azure Storage provider has them: one control
 * queue per partition (here only "look at instance X": the messages themselves are in the inbox
 * table) and one work-item queue for activities, which any host takes with a visibility timeout.
 */
export class SharedQueues {
  readonly control: QueueClient[];
  readonly workItems: QueueClient;

  constructor(
    storage: HostStorage,
    prefix: string,
    readonly partitionCount: number,
    private readonly payloads: ContainerClient,
  ) {
    this.control = Array.from({ length: partitionCount }, (_, i) => storage.queue.getQueueClient(`${prefix}-control-${String(i).padStart(2, '0')}`));
    this.workItems = storage.queue.getQueueClient(`${prefix}-workitems`);
  }

  async init(): Promise<void> {
    await Promise.all([...this.control, this.workItems].map((q) => q.createIfNotExists()));
  }

  async wake(instanceId: string): Promise<void> {
    await this.control[partitionOf(instanceId, this.partitionCount)].sendMessage(Buffer.from(instanceId).toString('base64'));
  }

  async receiveWakes(partition: number, visibilityMs: number): Promise<Received<string>[]> {
    const response = await this.control[partition].receiveMessages({ numberOfMessages: 32, visibilityTimeout: Math.ceil(visibilityMs / 1000) });
    return response.receivedMessageItems.map((message) => ({ value: Buffer.from(message.messageText, 'base64').toString('utf8'), message }));
  }

  async enqueueWork(work: WorkItem): Promise<void> {
    let text = JSON.stringify(work);
    if (text.length > INLINE_BYTES) {
      const blob = `workitems/${encodeURIComponent(work.instanceId)}/${work.executionId}-${work.taskId}.json`;
      await this.payloads.getBlockBlobClient(blob).upload(text, Buffer.byteLength(text));
      text = JSON.stringify({ blob });
    }
    await this.workItems.sendMessage(Buffer.from(text).toString('base64'));
  }

  async receiveWork(count: number, visibilityMs: number): Promise<Received<WorkItem>[]> {
    const response = await this.workItems.receiveMessages({ numberOfMessages: Math.min(32, count), visibilityTimeout: Math.ceil(visibilityMs / 1000) });
    return Promise.all(
      response.receivedMessageItems.map(async (message) => {
        const parsed = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as WorkItem | { blob: string };
        const value = 'blob' in parsed ? (JSON.parse((await this.payloads.getBlockBlobClient(parsed.blob).downloadToBuffer()).toString('utf8')) as WorkItem) : parsed;
        return { value, message };
      }),
    );
  }

  /** Keeps a message invisible a while longer; returns the new pop receipt. */
  async extend(queue: QueueClient, message: DequeuedMessageItem, popReceipt: string, visibilityMs: number): Promise<string> {
    const response = await queue.updateMessage(message.messageId, popReceipt, undefined, Math.ceil(visibilityMs / 1000));
    return response.popReceipt ?? popReceipt;
  }

  async remove(queue: QueueClient, message: DequeuedMessageItem, popReceipt = message.popReceipt): Promise<void> {
    await queue.deleteMessage(message.messageId, popReceipt).catch((err: { statusCode?: number }) => {
      if (err?.statusCode !== 404) throw err; // gone already: another host took it after our lease lapsed
    });
  }
}
