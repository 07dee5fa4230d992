import type { ContainerClient } from '@azure/storage-blob';
import type { HostStorage } from '../storage';

/** `azure-webjobs-hosts` in the host's own storage: where blob receipts and timer status live. */
export class HostsContainer {
  static readonly NAME = 'azure-webjobs-hosts';
  readonly client: ContainerClient;
  private ready: Promise<unknown> | undefined;

  constructor(storage: HostStorage) {
    this.client = storage.blob.getContainerClient(HostsContainer.NAME);
  }

  /** Creates the container on first write; tried again next time if storage was not there. */
  ensure(): Promise<unknown> {
    this.ready ??= this.client.createIfNotExists().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}
