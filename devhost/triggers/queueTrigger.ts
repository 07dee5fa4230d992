import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { Registration } from '../functionsCore';
import { resolveAppSettings } from './appSettings';
import { Backoff } from './backoff';
import type { TriggerListener } from './types';
import { Lifetime } from './lifetime';
import type { ListenerContext } from './listenerContext';
import { LEASE_SECONDS, MessageLease } from './messageLease';
import { decodeMessageText } from './queueEncoding';
import { describeError, isNotFound } from './storageErrors';
import { toTriggerMetadata, tryJsonParse } from './triggerMetadata';

/** First (and post-message) polling delay of the real host's queue listener. */
const MIN_POLL_MS = 100;
const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/**
 * A `queueTrigger` function, following the real host's queue listener: batches of `batchSize`
 * messages, a new batch once no more than `newBatchThreshold` are still running, exponential
 * backoff up to `maxPollingInterval` while the queue is empty. Success deletes the message;
 * failure makes it visible again after `visibilityTimeout`; the failure at `maxDequeueCount`
 * moves it, text unchanged, to `<queue>-poison`.
 */
export class QueueTriggerListener implements TriggerListener {
  private readonly lifetime = new Lifetime();
  private readonly queueName: string;
  private readonly queue: QueueClient;
  private readonly poisonQueue: QueueClient;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly reg: Registration,
    private readonly context: ListenerContext,
  ) {
    // The real host lower-cases the name before validating it.
    this.queueName = resolveAppSettings(String(reg.trigger.queueName ?? ''), context.deps.env, 'The queue name').toLowerCase();
    if (!QUEUE_NAME.test(this.queueName)) {
      throw new Error(`'${this.queueName}' is not a valid queue name (3-63 lowercase letters, digits and single dashes).`);
    }
    const storage = context.connections.get(reg.trigger.connection);
    this.queue = storage.queue.getQueueClient(this.queueName);
    this.poisonQueue = storage.queue.getQueueClient(`${this.queueName}-poison`);
    this.lifetime.spawn(() => this.run());
  }

  async stop(): Promise<void> {
    await this.lifetime.stop();
  }

  private get options() {
    return this.context.deps.settings.queues;
  }

  private get log() {
    return this.context.deps.log;
  }

  private async run(): Promise<void> {
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.options;
    const idle = new Backoff(MIN_POLL_MS, Math.max(MIN_POLL_MS, maxPollingIntervalMs));
    const errors = new Backoff(1000, Math.max(1000, maxPollingIntervalMs, 60_000));
    let created = false;
    while (!this.lifetime.stopping) {
      while (this.inFlight.size > newBatchThreshold && !this.lifetime.stopping) await Promise.race(this.inFlight);
      if (this.lifetime.stopping) return;
      let messages: DequeuedMessageItem[];
      try {
        if (!created) await this.queue.createIfNotExists();
        created = true;
        const response = await this.queue.receiveMessages({ numberOfMessages: Math.min(32, Math.max(1, batchSize)), visibilityTimeout: LEASE_SECONDS });
        messages = response.receivedMessageItems;
        errors.reset();
      } catch (err) {
        // A queue deleted under us is created again, as the real host does.
        if (isNotFound(err)) created = false;
        const wait = errors.next();
        this.log.warn(`Queue trigger '${this.reg.name}': polling queue '${this.queueName}' failed (${describeError(err)}); retrying in ${wait} ms.`);
        await this.lifetime.sleep(wait);
        continue;
      }
      if (messages.length === 0) {
        await this.lifetime.sleep(idle.next());
        continue;
      }
      idle.reset();
      for (const message of messages) {
        const work = this.lifetime.spawn(() => this.process(message)).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
    }
  }

  private async process(message: DequeuedMessageItem): Promise<void> {
    const { maxDequeueCount, visibilityTimeoutMs, messageEncoding } = this.options;
    const lease = new MessageLease(this.queue, message, this.log, this.reg.name);
    // Attempts that died with the process (crash, kill) count too: do not run it once more.
    if (message.dequeueCount > maxDequeueCount) {
      await this.poison(message, lease);
      return;
    }
    const text = decodeMessageText(message.messageText, messageEncoding);
    let failed = false;
    try {
      await this.context.deps.invoker.invoke(this.reg, tryJsonParse(text), {
        triggerMetadata: toTriggerMetadata({
          QueueTrigger: text,
          DequeueCount: message.dequeueCount,
          ExpirationTime: message.expiresOn.toISOString(),
          Id: message.messageId,
          InsertionTime: message.insertedOn.toISOString(),
          NextVisibleTime: message.nextVisibleOn.toISOString(),
          PopReceipt: message.popReceipt,
        }),
        extraInputs: this.context.deps.extraInputsFor(this.reg),
        reason: `New queue message detected on '${this.queueName}'.`,
      });
    } catch {
      // The Invoker has logged the failure.
      failed = true;
    }
    const popReceipt = await lease.end();
    try {
      if (!failed) await this.queue.deleteMessage(message.messageId, popReceipt);
      else if (message.dequeueCount >= maxDequeueCount) await this.poison(message, lease);
      else await this.queue.updateMessage(message.messageId, popReceipt, undefined, Math.ceil(visibilityTimeoutMs / 1000));
    } catch (err) {
      // The message shows up again when its lease runs out: retried, never lost.
      this.log.warn(`Queue trigger '${this.reg.name}': could not ${failed ? 'release' : 'delete'} message ${message.messageId} (${describeError(err)}).`);
    }
  }

  /** Copies the message text as it is (still encoded) to `<queue>-poison`, then deletes it. */
  private async poison(message: DequeuedMessageItem, lease: MessageLease): Promise<void> {
    const popReceipt = await lease.end();
    this.log.warn(`Message has reached MaxDequeueCount of ${this.options.maxDequeueCount}. Moving message to queue '${this.poisonQueue.name}'.`);
    try {
      await this.poisonQueue.createIfNotExists();
      await this.poisonQueue.sendMessage(message.messageText);
      await this.queue.deleteMessage(message.messageId, popReceipt);
    } catch (err) {
      this.log.warn(`Queue trigger '${this.reg.name}': moving message ${message.messageId} to '${this.poisonQueue.name}' failed (${describeError(err)}); it will be retried.`);
    }
  }
}
