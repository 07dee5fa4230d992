import type { HostsContainer } from './hostsContainer';
import { isNotFound } from './storageErrors';

/**
 * Blob receipts, as the real host keeps them in its own storage: an empty blob
 * `blobreceipts/<hostId>/<function>/<etag>/<container>/<blob>` says "this function is done with
 * this version of this blob". An overwritten blob has a new ETag and no receipt, so it fires again.
 */
export class BlobReceipts {
  constructor(
    private readonly hosts: HostsContainer,
    private readonly hostId: string,
    private readonly functionName: string,
  ) {}

  path(etag: string, container: string, blobName: string): string {
    return `blobreceipts/${this.hostId}/${this.functionName}/${etag}/${container}/${blobName}`;
  }

  /** Every blob version of `container` this function is done with, as `receiptKey`s: one listing instead of a lookup per blob. */
  async list(container: string): Promise<Set<string>> {
    const prefix = `blobreceipts/${this.hostId}/${this.functionName}/`;
    const keys = new Set<string>();
    try {
      for await (const item of this.hosts.client.listBlobsFlat({ prefix })) {
        const [etag, receiptContainer, ...name] = item.name.slice(prefix.length).split('/');
        if (etag && receiptContainer === container && name.length > 0) keys.add(receiptKey(etag, name.join('/')));
      }
    } catch (err) {
      // No hosts container yet: nothing was ever processed.
      if (!isNotFound(err)) throw err;
    }
    return keys;
  }

  async write(etag: string, container: string, blobName: string): Promise<void> {
    await this.hosts.ensure();
    await this.hosts.client.getBlockBlobClient(this.path(etag, container, blobName)).upload('', 0);
  }
}

/** Identifies one version of one blob. */
export function receiptKey(etag: string, blobName: string): string {
  return `${etag}\n${blobName}`;
}
