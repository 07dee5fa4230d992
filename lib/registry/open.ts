import type { StorageClients } from '../storage/clients';
import type { WorkspaceBlob } from './datastores';
import { Registry } from './registry';

/** The built-in datastore's location: the app's own blob service and the given container. */
export function workspaceBlobOf(blob: { accountName: string; url: string }, containerName: string, others?: WorkspaceBlob['others']): WorkspaceBlob {
  return { accountName: blob.accountName, serviceUri: blob.url.replace(/\/+$/, ''), containerName, ...(others?.length ? { others } : {}) };
}

/** The registry over a table of the app's storage, with `workspaceblobstore` in the given container. */
export function openRegistry(
  clients: Pick<StorageClients, 'blob' | 'table'>,
  names: { table: string; workspaceBlobContainer: string; otherBuiltIns?: WorkspaceBlob['others'] },
): Registry {
  return new Registry({ table: clients.table(names.table), workspaceBlob: workspaceBlobOf(clients.blob, names.workspaceBlobContainer, names.otherBuiltIns) });
}
