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

/** Azurite's usual ports, which `UseDevelopmentStorage=true` names. */
export const AZURITE_DEFAULT_PORTS = { blob: 10000, queue: 10001, table: 10002 };

/** `UseDevelopmentStorage=true` as the full Azurite connection string (on `ports`); anything else as given. */
export function resolveConnectionString(value: string, ports = AZURITE_DEFAULT_PORTS): string {
  if (/^\s*UseDevelopmentStorage=true\s*;?\s*$/i.test(value)) return azuriteConnectionString(ports);
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
