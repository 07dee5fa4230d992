import type { StorageClients } from '../storage/clients';
import type { WorkspaceBlob } from './datastores';
import { Registry } from './registry';

/** App settings the registry reads, with their defaults. */
export const REGISTRY_TABLE_SETTING = 'REGISTRY_TABLE';
export const WORKSPACE_BLOB_CONTAINER_SETTING = 'WORKSPACE_BLOB_CONTAINER';
export const DEFAULT_REGISTRY_TABLE = 'registry';
export const DEFAULT_WORKSPACE_BLOB_CONTAINER = 'workspaceblobstore';

/** The built-in datastore's location: the app's own blob service and the configured container. */
export function workspaceBlobOf(blob: { accountName: string; url: string }, env: NodeJS.ProcessEnv = process.env): WorkspaceBlob {
  return {
    accountName: blob.accountName,
    serviceUri: blob.url.replace(/\/+$/, ''),
    containerName: env[WORKSPACE_BLOB_CONTAINER_SETTING] || DEFAULT_WORKSPACE_BLOB_CONTAINER,
  };
}

/** The registry every entry point uses: same table and built-in datastore, from app settings. */
export function registryFromSettings(clients: StorageClients, env: NodeJS.ProcessEnv = process.env): Registry {
  return new Registry({
    table: clients.table(env[REGISTRY_TABLE_SETTING] || DEFAULT_REGISTRY_TABLE),
    workspaceBlob: workspaceBlobOf(clients.blob, env),
  });
}
