import type { Registration } from '../functionsCore';
import { isFunctionDisabled } from './appSettings';
import { BlobTriggerListener } from './blobTrigger';
import { Connections } from './connections';
import { hostIdFrom } from './hostId';
import { HostsContainer } from './hostsContainer';
import type { ListenerContext } from './listenerContext';
import { QueueTriggerListener } from './queueTrigger';
import { TimerTriggerListener } from './timerTrigger';
import type { TriggerDeps, TriggerListener } from './types';

export type { TriggerDeps, TriggerListener } from './types';

type ListenerFactory = (reg: Registration, context: ListenerContext) => TriggerListener;

const factories: Record<string, ListenerFactory> = {
  blobtrigger: (reg, context) => new BlobTriggerListener(reg, context),
  queuetrigger: (reg, context) => new QueueTriggerListener(reg, context),
  timertrigger: (reg, context) => new TimerTriggerListener(reg, context),
};

/** Triggers other parts of the host serve. */
const servedElsewhere = new Set(['httptrigger', 'orchestrationtrigger', 'activitytrigger', 'entitytrigger']);

/**
 * Starts a listener per blob, queue and timer trigger the app registered. Listeners poll in the
 * background, so this returns at once; a function whose binding is misconfigured is reported and
 * left out, as the real host does, without stopping the others.
 */
export async function startTriggers(deps: TriggerDeps): Promise<TriggerListener[]> {
  const listeners: TriggerListener[] = [];
  const candidates = deps.registrations.filter((r) => factories[r.trigger.type.toLowerCase()]);
  for (const reg of deps.registrations) {
    const type = reg.trigger.type.toLowerCase();
    if (!factories[type] && !servedElsewhere.has(type)) {
      deps.log.warn(`Function '${reg.name}': devhost has no listener for trigger type '${reg.trigger.type}'; it will not run.`);
    }
  }
  if (candidates.length === 0) return listeners;

  let context: ListenerContext;
  try {
    context = {
      deps,
      hostId: hostIdFrom(deps.env, deps.appDir),
      connections: new Connections(deps.env, deps.storage),
      hosts: new HostsContainer(deps.storage),
    };
  } catch (err) {
    deps.log.error(`Non-HTTP triggers are not started: ${(err as Error).message}`);
    return listeners;
  }
  deps.log.debug(`Trigger listeners use host id '${context.hostId}'.`);

  for (const reg of candidates) {
    if (isFunctionDisabled(reg.name, deps.env)) {
      deps.log.info(`Function '${reg.name}' is disabled.`);
      continue;
    }
    try {
      listeners.push(factories[reg.trigger.type.toLowerCase()]!(reg, context));
    } catch (err) {
      deps.log.error(`The '${reg.name}' function is in error: ${(err as Error).message}`);
    }
  }
  return listeners;
}
