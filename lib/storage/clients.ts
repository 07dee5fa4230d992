import { TableClient, TableServiceClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';

/** The three storage services an app setting points at, plus a table factory. */
export interface StorageClients {
  blob: BlobServiceClient;
  queue: QueueServiceClient;
  tables: TableServiceClient;
  table(name: string): TableClient;
}

const AZURITE_DEFAULT =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;' +
  'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';

/** Expands `UseDevelopmentStorage=true` so every SDK sees the same explicit endpoints. */
export function normalizeConnectionString(value: string): string {
  return /^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value) ? AZURITE_DEFAULT : value;
}

/**
 * Builds clients from a Functions connection setting, the way the Functions host reads it:
 * either `<name>` holds a connection string (Azurite, keys), or identity-based
 * `<name>__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri` (plus `__clientId`
 * for a user-assigned identity) are used with DefaultAzureCredential, so Azure needs no keys.
 */
export function storageClientsFromSetting(
  name = 'AzureWebJobsStorage',
  env: NodeJS.ProcessEnv = process.env,
): StorageClients {
  const connectionString = env[name];
  if (connectionString) {
    const cs = normalizeConnectionString(connectionString);
    const insecure = /DefaultEndpointsProtocol=http;|Endpoint=http:\/\//i.test(cs);
    return {
      blob: BlobServiceClient.fromConnectionString(cs),
      queue: QueueServiceClient.fromConnectionString(cs),
      tables: TableServiceClient.fromConnectionString(cs, { allowInsecureConnection: insecure }),
      table: (table) => TableClient.fromConnectionString(cs, table, { allowInsecureConnection: insecure }),
    };
  }
  const blobUri = env[`${name}__blobServiceUri`];
  const queueUri = env[`${name}__queueServiceUri`];
  const tableUri = env[`${name}__tableServiceUri`];
  const account = env[`${name}__accountName`];
  const blob = blobUri ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  const queue = queueUri ?? (account ? `https://${account}.queue.core.windows.net` : undefined);
  const table = tableUri ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  if (!blob || !queue || !table) {
    throw new Error(
      `Storage setting '${name}' is missing: set '${name}' to a connection string, or ` +
        `'${name}__blobServiceUri', '${name}__queueServiceUri' and '${name}__tableServiceUri'.`,
    );
  }
  const clientId = env[`${name}__clientId`];
  const credential: TokenCredential = new DefaultAzureCredential(
    clientId ? { managedIdentityClientId: clientId } : undefined,
  );
  return {
    blob: new BlobServiceClient(blob, credential),
    queue: new QueueServiceClient(queue, credential),
    tables: new TableServiceClient(table, credential),
    table: (t) => new TableClient(table, t, credential),
  };
}
