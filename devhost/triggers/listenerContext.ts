import type { Connections } from './connections';
import type { HostsContainer } from './hostsContainer';
import type { TriggerDeps } from './types';

/** What every listener shares: the host's dependencies plus the state derived from them once. */
export interface ListenerContext {
  deps: TriggerDeps;
  hostId: string;
  connections: Connections;
  hosts: HostsContainer;
}

/** A positive number from an environment variable (a devhost knob), else undefined. */
export function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (found '${raw}').`);
  return value;
}
