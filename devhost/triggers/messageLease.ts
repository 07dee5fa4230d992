import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { describeError } from './storageErrors';

/** The real host keeps a message it is working on invisible for 10 minutes, renewed halfway. */
export const LEASE_SECONDS = 600;
const RENEW_MS = (LEASE_SECONDS * 1000) / 2;

/** Keeps a message invisible while its function runs longer than half the lease. */
export class MessageLease {
  private popReceipt: string;
  private renewing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly queue: QueueClient,
    private readonly message: DequeuedMessageItem,
    private readonly log: { warn(m: string): void },
    private readonly functionName: string,
  ) {
    this.popReceipt = message.popReceipt;
    this.timer = setInterval(() => {
      this.renewing = this.renew();
    }, RENEW_MS);
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    try {
      const response = await this.queue.updateMessage(this.message.messageId, this.popReceipt, undefined, LEASE_SECONDS);
      if (response.popReceipt) this.popReceipt = response.popReceipt;
    } catch (err) {
      this.log.warn(`Queue trigger '${this.functionName}': renewing the lease on message ${this.message.messageId} failed (${describeError(err)}).`);
    }
  }

  /** Stops renewing; the pop receipt to delete or update the message with. */
  async end(): Promise<string> {
    clearInterval(this.timer);
    await this.renewing;
    return this.popReceipt;
  }
}
