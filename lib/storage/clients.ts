import { TableClient, TableServiceClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, newPipeline, type StoragePipelineOptions } from '@azure/storage-blob';
import { deadlinePolicy, deadlinePolicyFactory } from './deadline';
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
 * Where the app's storage is, as the Functions host reads its `AzureWebJobsStorage` setting
 * (app/settings.ts parses it): a connection string (Azurite, keys), or identity-based service
 * URIs used with DefaultAzureCredential (plus a user-assigned identity's client id), so Azure needs no keys.
 */
export type StorageConnection =
  | { connectionString: string }
  | { blobServiceUri: string; queueServiceUri: string; tableServiceUri: string; clientId?: string };

// Request deadlines (deadline.ts): per call, so they bound every retry of a call too.
const tableOptions = { additionalPolicies: [{ policy: deadlinePolicy, position: 'perCall' as const }] };

/** A blob client on the same account and credential whose pipeline has the deadline policy. */
function withDeadline(client: BlobServiceClient, options: StoragePipelineOptions = {}): BlobServiceClient {
  const pipeline = newPipeline(client.credential, options);
  pipeline.factories.unshift(deadlinePolicyFactory);
  return new BlobServiceClient(client.url, pipeline);
}

/** Clients for the three storage services of one account. */
export function storageClients(connection: StorageConnection): StorageClients {
  if ('connectionString' in connection) {
    const cs = normalizeConnectionString(connection.connectionString);
    const insecure = /DefaultEndpointsProtocol=http;|Endpoint=http:\/\//i.test(cs);
    return {
      blob: withDeadline(BlobServiceClient.fromConnectionString(cs)),
      queue: QueueServiceClient.fromConnectionString(cs),
      tables: TableServiceClient.fromConnectionString(cs, { allowInsecureConnection: insecure, ...tableOptions }),
      table: (table) => TableClient.fromConnectionString(cs, table, { allowInsecureConnection: insecure, ...tableOptions }),
    };
  }
  const { blobServiceUri, queueServiceUri, tableServiceUri, clientId } = connection;
  const credential: TokenCredential = new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : undefined);
  return {
    blob: withDeadline(new BlobServiceClient(blobServiceUri, credential)),
    queue: new QueueServiceClient(queueServiceUri, credential),
    tables: new TableServiceClient(tableServiceUri, credential, tableOptions),
    table: (t) => new TableClient(tableServiceUri, t, credential, tableOptions),
  };
}
