import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { Registration } from '../functionsCore';
import { resolveAppSettings } from './appSettings';
import { Backoff } from './backoff';
import { HostsContainer } from './hostsContainer';
import type { BlobEventTarget } from './types';
import { Lifetime } from './lifetime';
import { envNumber, type ListenerContext } from './listenerContext';
import { parseBlobPath, type BlobPathPattern } from './pathPattern';
import { encodeMessageText } from './queueEncoding';
import { BlobReceipts, receiptKey } from './receipts';
import { describeError, isNotFound, statusOf } from './storageErrors';
import { toTriggerMetadata, tryJsonParse } from './triggerMetadata';

/**
 * ETags in quotes, as response headers carry them (listings leave them bare): one spelling for
 * receipts, metadata and poison messages, whichever call a blob was seen through.
 */
function quoted(etag: string | undefined): string | undefined {
  if (!etag) return undefined;
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}

/** Where the real host puts blobs it gave up on (in the blob's own storage account). */
export const BLOB_POISON_QUEUE = 'webjobs-blobtrigger-poison';

/**
 * A `blobTrigger` function: scans its container every poll interval, and invokes the function
 * once per new or changed blob (per ETag), with the content as a Buffer. Receipts in the host's
 * storage make that hold across restarts; a blob that fails `maxDequeueCount` times goes to
 * `webjobs-blobtrigger-poison`. Both `source` values behave the same: there is no Event Grid here.
 */
export class BlobTriggerListener implements BlobEventTarget {
  private readonly lifetime = new Lifetime();
  private readonly pattern: BlobPathPattern;
  private readonly container: ContainerClient;
  private readonly poisonQueue: QueueClient;
  private readonly receipts: BlobReceipts;
  private readonly source: string;
  private readonly pollMs: number;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  /** Blob versions done with (`receiptKey`), loaded from the receipts on the first scan. */
  private completed: Set<string> | undefined;
  /** Blobs being processed now: never two invocations for one blob at a time. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private containerMissingLogged = false;

  constructor(
    private readonly reg: Registration,
    private readonly context: ListenerContext,
  ) {
    const { env, settings } = context.deps;
    const path = resolveAppSettings(String(reg.trigger.path ?? ''), env, 'The blob trigger path');
    this.pattern = parseBlobPath(path);
    // Receipts are blobs there: watching it would trigger on the host's own writes.
    if (this.pattern.container === HostsContainer.NAME) throw new Error(`A blob trigger cannot watch '${HostsContainer.NAME}', the host's own container.`);
    const storage = context.connections.get(reg.trigger.connection);
    this.container = storage.blob.getContainerClient(this.pattern.container);
    this.poisonQueue = storage.queue.getQueueClient(BLOB_POISON_QUEUE);
    this.receipts = new BlobReceipts(context.hosts, context.hostId, reg.name);
    this.source = reg.trigger.source === 'EventGrid' ? 'EventGrid' : 'LogsAndContainerScan';
    this.pollMs = Math.max(10, envNumber(env, 'DEVHOST_BLOB_POLL_MS') ?? settings.blobs.pollingIntervalMs);
    // The real host counts blob attempts with the queues' maxDequeueCount (default 5).
    this.maxAttempts = Math.max(1, envNumber(env, 'DEVHOST_BLOB_MAX_DEQUEUE_COUNT') ?? settings.queues.maxDequeueCount);
    this.concurrency = Math.max(1, settings.queues.batchSize);
    // With the Event Grid source, the blob webhook delivers; polling as well is the local default
    // (no Event Grid here), DEVHOST_BLOB_EVENTGRID_POLL=false leaves it to the webhook alone.
    const polls = this.source !== 'EventGrid' || !/^(false|0)$/i.test(env.DEVHOST_BLOB_EVENTGRID_POLL ?? '');
    if (polls) this.lifetime.spawn(() => this.run());
  }

  get functionName(): string {
    return this.reg.name;
  }

  get containerName(): string {
    return this.pattern.container;
  }

  /** A BlobCreated event for `blobName`: processed like a blob a scan found (receipts, retries, poison). */
  async notify(blobName: string): Promise<'started' | 'done' | 'missing' | 'unmatched'> {
    const values = this.pattern.match(blobName);
    if (!values) return 'unmatched';
    let props;
    try {
      props = await this.container.getBlobClient(blobName).getProperties();
    } catch (err) {
      if (isNotFound(err)) return 'missing';
      throw err;
    }
    const etag = quoted(props.etag);
    this.completed ??= await this.receipts.list(this.pattern.container);
    if (!etag || this.completed.has(receiptKey(etag, blobName))) return 'done';
    if (this.inFlight.has(blobName)) return 'started';
    const item = {
      name: blobName,
      deleted: false,
      snapshot: '',
      metadata: props.metadata,
      properties: {
        etag,
        lastModified: props.lastModified ?? new Date(),
        createdOn: props.createdOn,
        contentLength: props.contentLength,
        contentType: props.contentType,
        contentEncoding: props.contentEncoding,
        contentLanguage: props.contentLanguage,
        contentDisposition: props.contentDisposition,
        cacheControl: props.cacheControl,
        contentMD5: props.contentMD5,
        blobType: props.blobType,
        accessTier: props.accessTier as BlobItem['properties']['accessTier'],
        leaseState: props.leaseState,
        leaseStatus: props.leaseStatus,
      },
    } satisfies BlobItem;
    const work = this.lifetime.spawn(() => this.process(item, etag, values)).finally(() => this.inFlight.delete(blobName));
    this.inFlight.set(blobName, work);
    return 'started';
  }

  async stop(): Promise<void> {
    await this.lifetime.stop();
  }

  private get log() {
    return this.context.deps.log;
  }

  private async run(): Promise<void> {
    const errors = new Backoff(Math.max(this.pollMs, 1000), 60_000);
    while (!this.lifetime.stopping) {
      let wait = this.pollMs;
      try {
        await this.scan();
        errors.reset();
      } catch (err) {
        wait = errors.next();
        this.log.warn(`Blob trigger '${this.reg.name}': scanning container '${this.pattern.container}' failed (${describeError(err)}); retrying in ${wait} ms.`);
      }
      await this.lifetime.sleep(wait);
    }
  }

  private async scan(): Promise<void> {
    this.completed ??= await this.receipts.list(this.pattern.container);
    const completed = this.completed;
    try {
      for await (const item of this.container.listBlobsFlat({ prefix: this.pattern.prefix || undefined, includeMetadata: true })) {
        if (this.lifetime.stopping) return;
        const values = this.pattern.match(item.name);
        const etag = quoted(item.properties.etag);
        if (!values || !etag || this.inFlight.has(item.name) || completed.has(receiptKey(etag, item.name))) continue;
        while (this.inFlight.size >= this.concurrency && !this.lifetime.stopping) await Promise.race(this.inFlight.values());
        if (this.lifetime.stopping) return;
        const work = this.lifetime.spawn(() => this.process(item, etag, values)).finally(() => this.inFlight.delete(item.name));
        this.inFlight.set(item.name, work);
      }
      this.containerMissingLogged = false;
    } catch (err) {
      // The real host waits for the container to appear rather than creating it.
      if (!isNotFound(err)) throw err;
      if (!this.containerMissingLogged) this.log.debug(`Blob trigger '${this.reg.name}': container '${this.pattern.container}' does not exist yet.`);
      this.containerMissingLogged = true;
    }
  }

  /** Invokes until success or `maxAttempts` failures; leaves the blob for the next scan on a storage error. */
  private async process(item: BlobItem, etag: string, values: Record<string, string>): Promise<void> {
    const blob = this.container.getBlobClient(item.name);
    const fullPath = `${this.pattern.container}/${item.name}`;
    for (let attempt = 1; ; attempt++) {
      // Stopping between attempts leaves no receipt: the next start fires again (at least once).
      if (this.lifetime.stopping) return;
      let content: Buffer;
      try {
        content = await blob.downloadToBuffer(0, undefined, { conditions: { ifMatch: etag } });
      } catch (err) {
        const status = statusOf(err);
        // Deleted or overwritten since the scan: the next scan sees what is there now.
        if (status === 404 || status === 412) this.log.debug(`Blob '${fullPath}' changed before '${this.reg.name}' ran; rescanning.`);
        else this.log.warn(`Blob trigger '${this.reg.name}': reading '${fullPath}' failed (${describeError(err)}); will retry.`);
        return;
      }
      try {
        await this.context.deps.invoker.invoke(this.reg, this.triggerValue(content), {
          triggerMetadata: this.metadata(item, blob.url, values),
          extraInputs: this.context.deps.extraInputsFor(this.reg),
          reason: `New blob detected(${this.source}): ${fullPath}`,
        });
      } catch {
        // The Invoker has logged the failure.
        if (attempt < this.maxAttempts) {
          await this.lifetime.sleep(this.context.deps.settings.queues.visibilityTimeoutMs);
          continue;
        }
        await this.poison(item.name, etag, item.properties.blobType ?? 'BlockBlob');
        return;
      }
      await this.complete(item.name, etag);
      return;
    }
  }

  /** The v4 library hands blob triggers over as a Buffer, or as text/JSON with `dataType: 'string'`. */
  private triggerValue(content: Buffer): unknown {
    return this.reg.trigger.dataType === 'string' ? tryJsonParse(content.toString('utf8')) : content;
  }

  private metadata(item: BlobItem, uri: string, values: Record<string, string>): Record<string, unknown> {
    const p = item.properties;
    const iso = (d: Date | undefined) => d?.toISOString();
    return toTriggerMetadata({
      ...values,
      BlobTrigger: `${this.pattern.container}/${item.name}`,
      Uri: uri,
      Properties: {
        BlobType: p.blobType,
        ContentLength: p.contentLength,
        ContentType: p.contentType,
        ContentEncoding: p.contentEncoding,
        ContentLanguage: p.contentLanguage,
        ContentDisposition: p.contentDisposition,
        CacheControl: p.cacheControl,
        ContentHash: p.contentMD5 ? Buffer.from(p.contentMD5).toString('base64') : undefined,
        CreatedOn: iso(p.createdOn),
        LastModified: iso(p.lastModified),
        ETag: quoted(p.etag),
        AccessTier: p.accessTier,
        LeaseState: p.leaseState,
        LeaseStatus: p.leaseStatus,
      },
      Metadata: item.metadata ?? {},
    });
  }

  private async complete(blobName: string, etag: string): Promise<void> {
    this.completed?.add(receiptKey(etag, blobName));
    const retry = new Backoff(200, 2000);
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.receipts.write(etag, this.pattern.container, blobName);
        return;
      } catch (err) {
        if (attempt === 3) {
          this.log.warn(`Blob trigger '${this.reg.name}': could not write the receipt for '${this.pattern.container}/${blobName}' (${describeError(err)}); it will fire again after a restart.`);
          return;
        }
        await this.lifetime.sleep(retry.next());
      }
    }
  }

  private async poison(blobName: string, etag: string, blobType: string): Promise<void> {
    const fullPath = `${this.pattern.container}/${blobName}`;
    this.completed?.add(receiptKey(etag, blobName));
    this.log.error(`Function '${this.reg.name}' failed ${this.maxAttempts} time(s) on blob '${fullPath}'; moving it to queue '${BLOB_POISON_QUEUE}'.`);
    const message = {
      Type: 'BlobTrigger',
      FunctionId: `Host.Functions.${this.reg.name}`,
      BlobType: blobType,
      ContainerName: this.pattern.container,
      BlobName: blobName,
      ETag: etag,
    };
    try {
      await this.poisonQueue.createIfNotExists();
      await this.poisonQueue.sendMessage(encodeMessageText(JSON.stringify(message), this.context.deps.settings.queues.messageEncoding));
    } catch (err) {
      // No receipt either: a restart tries the blob again rather than losing it silently.
      this.log.error(`Blob trigger '${this.reg.name}': could not write to '${BLOB_POISON_QUEUE}' (${describeError(err)}).`);
      return;
    }
    // As in the real host, a poisoned blob version is done: it does not fire again.
    await this.complete(blobName, etag);
  }
}
