// The listeners' contract with the host, apart from index.ts so listeners need not import the barrel.
import type { Registration } from '../functionsCore';
import type { Invoker } from '../invoker';
import type { Logger } from '../log';
import type { HostSettings } from '../settings';
import type { HostStorage } from '../storage';

/** What every non-HTTP trigger listener gets from the host. */
export interface TriggerDeps {
  registrations: Registration[];
  invoker: Invoker;
  /** The host's own storage (AzureWebJobsStorage): receipts and leases live here. */
  storage: HostStorage;
  settings: HostSettings;
  log: Logger;
  env: NodeJS.ProcessEnv;
  extraInputsFor: (reg: Registration) => Record<string, unknown>;
  /** The app folder: the default host id is derived from it, so two apps never share receipts. */
  appDir: string;
}

export interface TriggerListener {
  stop(): Promise<void>;
}

/** A blob trigger that can be told about a blob (an Event Grid BlobCreated event) instead of finding it. */
export interface BlobEventTarget extends TriggerListener {
  readonly functionName: string;
  readonly containerName: string;
  /** Runs the function for the blob as it is now (once per ETag, like a scan that found it). */
  notify(blobName: string): Promise<'started' | 'done' | 'missing' | 'unmatched'>;
}
