import type { Registry } from '../../lib/registry/registry';

/**
 * The same registry (same table, same data) with its datastore reads counted: for tests that
 * check how often a path reads the registry.
 */
export function countingRegistry(registry: Registry): { registry: Registry; reads: { tryGet: string[]; list: number } } {
  const reads = { tryGet: [] as string[], list: 0 };
  const datastores = registry.datastores;
  const counting = Object.assign(Object.create(Object.getPrototypeOf(datastores)), datastores, {
    tryGet: (name: string) => {
      reads.tryGet.push(name);
      return datastores.tryGet(name);
    },
    list: () => {
      reads.list++;
      return datastores.list();
    },
  });
  return { registry: Object.assign(Object.create(Object.getPrototypeOf(registry)), registry, { datastores: counting }), reads };
}
