import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { isAzurite, resolveConnectionString } from './azurite';

/** Storage clients the host itself uses (state, triggers); built from a connection string. */
export interface HostStorage {
  connectionString: string;
  blob: BlobServiceClient;
  queue: QueueServiceClient;
  tables: TableServiceClient;
  table(name: string): TableClient;
}

// In azurite.ts, which loads no Azure SDK: npm start reads them before anything else starts.
export { isAzurite, resolveConnectionString };

export function hostStorage(connection: string): HostStorage {
  const cs = resolveConnectionString(connection);
  const insecure = /DefaultEndpointsProtocol=http;|Endpoint=http:\/\//i.test(cs);
  return {
    connectionString: cs,
    blob: BlobServiceClient.fromConnectionString(cs),
    queue: QueueServiceClient.fromConnectionString(cs),
    tables: TableServiceClient.fromConnectionString(cs, { allowInsecureConnection: insecure }),
    table: (name) => TableClient.fromConnectionString(cs, name, { allowInsecureConnection: insecure }),
  };
}

/**
 * Waits until the blob, queue and table endpoints answer HTTP (any status), for up to `timeoutMs`;
 * then returns either way (a storage that is still down fails the first real call, as before).
 * For a host started together with its Azurite (DEVHOST_STORAGE_WAIT_MS): it loads the app while
 * Azurite starts, instead of after.
 */
export async function waitForStorage(storage: HostStorage, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const answers = (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
  for (const url of [storage.blob.url, storage.queue.url, storage.tables.url]) {
    while (!(await answers(url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }
}
