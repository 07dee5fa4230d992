import { azuriteConnectionString } from './azurite';

/** Azurite's usual ports, the ones `UseDevelopmentStorage=true` names. */
export const AZURITE_DEFAULT_PORTS = { blob: 10000, queue: 10001, table: 10002 };

/**
 * Azurite's ports for `npm start`: 10000-10002, or `AZURITE_PORT` (the blob port; queue and table
 * follow it), so a second app on the machine can have its own Azurite (and task hub) beside the first.
 */
export function azuritePorts(env: Record<string, string | undefined> = process.env): { blob: number; queue: number; table: number } {
  const text = env.AZURITE_PORT?.trim();
  if (!text) return AZURITE_DEFAULT_PORTS;
  const blob = Number(text);
  if (!/^\d+$/.test(text) || blob < 1 || blob > 65533) throw new Error(`AZURITE_PORT='${text}' is not a port from 1 to 65533 (the queue and table ports are the next two).`);
  return { blob, queue: blob + 1, table: blob + 2 };
}

/** A resolved connection string, with Azurite's usual ports (`UseDevelopmentStorage=true`) moved to `ports`. */
export function connectionStringOn(resolved: string, ports: { blob: number; queue: number; table: number }): string {
  return resolved === azuriteConnectionString(AZURITE_DEFAULT_PORTS) ? azuriteConnectionString(ports) : resolved;
}
