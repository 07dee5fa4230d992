import type { TableClient } from '@azure/data-tables';
import type { ContainerClient } from '@azure/storage-blob';

/** The HTTP status of a storage SDK error, if it has one. */
export const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number } | null)?.statusCode;

/** A table entity with its ETag, or undefined when it (or its table) does not exist. */
export async function tryGetEntity<T extends object>(table: TableClient, partitionKey: string, rowKey: string): Promise<(T & { etag: string }) | undefined> {
  try {
    return (await table.getEntity<T>(partitionKey, rowKey)) as T & { etag: string };
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** A conditional create refused because the thing exists (409, or 412 for If-None-Match). */
export const isAlreadyExists = (err: unknown): boolean => statusOf(err) === 409 || statusOf(err) === 412;

const tables = new WeakMap<TableClient, Promise<void>>();
const containers = new Map<string, Promise<unknown>>();

/** Runs `create` once per key; a failure is forgotten, so the next call tries again. */
function once<K>(cache: { get(k: K): Promise<unknown> | undefined; set(k: K, v: Promise<unknown>): unknown; delete(k: K): unknown }, key: K, create: () => Promise<unknown>): Promise<unknown> {
  let p = cache.get(key);
  if (!p) {
    p = create().catch((err: unknown) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, p);
  }
  return p;
}

/** Creates the table once per client (createTable ignores "already exists"). */
export async function ensureTable(table: TableClient): Promise<void> {
  await once(tables, table, () => table.createTable());
}

/** Creates the container once per process, by URL (clients for it are made per call). */
export async function ensureContainer(container: ContainerClient): Promise<void> {
  await once(containers, container.url, () => container.createIfNotExists());
}
