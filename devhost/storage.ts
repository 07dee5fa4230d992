import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteConnectionString } from './azurite';

/** Storage clients the host itself uses (state, triggers); built from a connection string. */
export interface HostStorage {
  connectionString: string;
  blob: BlobServiceClient;
  queue: QueueServiceClient;
  tables: TableServiceClient;
  table(name: string): TableClient;
}

export function resolveConnectionString(value: string): string {
  if (/^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value)) {
    return azuriteConnectionString({ blob: 10000, queue: 10001, table: 10002 });
  }
  return value;
}

export function isAzurite(connectionString: string): boolean {
  return connectionString.includes(`AccountName=${AZURITE_ACCOUNT}`) && connectionString.includes(AZURITE_KEY);
}

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
