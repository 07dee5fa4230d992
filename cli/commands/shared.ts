import { Command } from 'commander';
import { addGlobalOptions } from '../context';
import { usageError } from '../errors';

/** A leaf command with the global arguments (-o, --query, --url, --scope, --debug). */
export function leaf(parent: Command, name: string, description: string): Command {
  return addGlobalOptions(parent.command(name).description(description));
}

/** `--file` and `--set` (on every create and update, as az ml has them). */
export function withSpecOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <yaml>', 'YAML file in Azure ML\'s format')
    .option('--set <assignments...>', 'update the spec: key.path=value (several allowed)');
}

export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null || value === '') throw usageError(`${what} is required.`);
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` on top of `base`, objects merged key by key (update: the file over the current resource). */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Drops undefined members (a resource read back as YAML leaves some unset). */
export const defined = (value: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(value));
