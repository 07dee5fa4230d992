// host.json and local.settings.sample.json against their SchemaStore schemas (committed copies in
// test/infra/schemas), and the Durable back end switch: host.json stays on Azure Storage, the
// Bicep's AzureFunctionsJobHost__* settings turn it into the Durable Task Scheduler configuration.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/devhost';
import { parseTimeSpan } from '../../devhost/settings';
import { descendants, parseBicep, propertiesOf, stringValues, variablesOf } from './bicep';

type Json = Record<string, unknown>;
const readJson = (...parts: string[]): Json => JSON.parse(readFileSync(join(...parts), 'utf8')) as Json;

// SchemaStore's schemas are draft-04; strict mode would refuse their `examples` and `default`s.
const ajv = new Ajv({ strict: false, allErrors: true });
const validateHost = ajv.compile(readJson(__dirname, 'schemas', 'host.schema.json'));
const validateLocal = ajv.compile(readJson(__dirname, 'schemas', 'local.settings.schema.json'));

const hostJson = readJson(repoRoot, 'host.json');

/**
 * The host's view of host.json with app settings applied: `AzureFunctionsJobHost__a__b = v`
 * sets `a.b` (keys match case-insensitively, as in .NET configuration).
 */
function withHostOverrides(host: Json, settings: Record<string, string>): Json {
  const result = structuredClone(host);
  for (const [name, value] of Object.entries(settings)) {
    const path = /^AzureFunctionsJobHost__(.+)$/i.exec(name)?.[1]?.split('__');
    if (!path) continue;
    let node = result;
    path.forEach((segment, i) => {
      const key = Object.keys(node).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
      if (i === path.length - 1) node[key] = value;
      else node = (node[key] ??= {}) as Json;
    });
  }
  return result;
}

/** The settings the Bicep adds for the Durable Task Scheduler back end (constants only). */
async function schedulerSettings(): Promise<{ constants: Record<string, string>; names: string[]; connection: string }> {
  const api = await parseBicep(join(repoRoot, 'infra', 'app', 'api.bicep'));
  const durable = variablesOf(api).get('durableSettings')!;
  const consequence = durable.childForFieldName('consequence')!;
  const constants: Record<string, string> = {};
  const names: string[] = [];
  let connection = '';
  for (const { key, value } of propertiesOf(consequence)) {
    names.push(key);
    const constant = stringValues(api, value)?.[0];
    if (constant !== undefined) constants[key] = constant;
    if (key === 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING') connection = value.text;
  }
  // The Azure Storage branch adds nothing.
  expect(descendants(durable.childForFieldName('alternative')!, 'object_property')).toEqual([]);
  return { constants, names, connection };
}

describe('host.json and local.settings.sample.json', () => {
  it('host.json is valid for SchemaStore\'s host.json schema', () => {
    expect(validateHost(hostJson), ajv.errorsText(validateHost.errors)).toBe(true);
  });

  it('local.settings.sample.json is valid for SchemaStore\'s local.settings.json schema', () => {
    expect(validateLocal(readJson(repoRoot, 'local.settings.sample.json')), ajv.errorsText(validateLocal.errors)).toBe(true);
  });

  it('the schema check can fail: a misspelt or mistyped host.json setting is refused', () => {
    expect(validateHost({ ...hostJson, functionTimeout: '30 minutes' })).toBe(false);
    expect(validateHost({ ...hostJson, extensions: { ...(hostJson.extensions as Json), durableTask: { hubName: 'h', maxConcurrentActivityFunction: 4 } } })).toBe(false);
    expect(validateLocal({ IsEncrypted: 'no', Values: {} })).toBe(false);
  });
});

describe('Durable back end switch', () => {
  it('the Durable Task Scheduler cannot be chosen in host.json itself: the schema has no storageProvider.type', () => {
    const extensions = hostJson.extensions as Json;
    const inHostJson = {
      ...hostJson,
      extensions: { ...extensions, durableTask: { ...(extensions.durableTask as Json), storageProvider: { type: 'azureManaged', connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' } } },
    };
    expect(validateHost(inHostJson)).toBe(false);
    expect(ajv.errorsText(validateHost.errors)).toContain('additional properties');
  });

  it('host.json alone is the Azure Storage provider (no storageProvider.type)', () => {
    const durable = (hostJson.extensions as Json).durableTask as Json;
    expect(durable.hubName).toBe('BatchEndpointsHub');
    expect((durable.storageProvider as Json | undefined)?.type).toBeUndefined();
  });

  it('an idle app polls its Durable queues at least every 2 s (the provider\'s default, 30 s, could hold each hop of a first job that long)', () => {
    const provider = ((hostJson.extensions as Json).durableTask as Json).storageProvider as Json;
    expect(parseTimeSpan(provider.maxQueuePollingInterval as string)).toBeLessThanOrEqual(2000);
  });

  it('the Bicep\'s scheduler settings turn host.json into the documented Durable Task Scheduler configuration', async () => {
    const { constants, names, connection } = await schedulerSettings();
    const effective = withHostOverrides(hostJson, constants);
    const durable = (effective.extensions as Json).durableTask as Json;
    // Microsoft's Durable Task Scheduler configuration for Durable Functions:
    // "storageProvider": { "type": "azureManaged", "connectionStringName": "<setting>" }.
    // (host.json's Azure Storage polling interval stays beside them: the scheduler does not poll queues, and .NET binding ignores it.)
    expect(durable.storageProvider).toEqual({ ...(((hostJson.extensions as Json).durableTask as Json).storageProvider as Json), type: 'azureManaged', connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' });
    // Everything else in host.json is untouched, hubName included (the scheduler's task hub takes it).
    expect({ ...durable, storageProvider: undefined }).toEqual({ ...((hostJson.extensions as Json).durableTask as Json), storageProvider: undefined });
    // The connection setting it names is set next to it, identity-based, without a key.
    expect(names).toContain(durable.storageProvider && (durable.storageProvider as Json).connectionStringName);
    expect(connection).toMatch(/^'Endpoint=\$\{[^}]+\};Authentication=ManagedIdentity;ClientID=\$\{[^}]+\}'$/);
  });

  it('the scheduler\'s task hub is named from host.json', async () => {
    const main = await parseBicep(join(repoRoot, 'infra', 'main.bicep'));
    expect(variablesOf(main).get('taskHubName')?.text).toBe("loadJsonContent('../host.json').extensions.durableTask.hubName");
  });

  it('the override merge is real: unrelated settings change nothing, a wrong path lands elsewhere', () => {
    expect(withHostOverrides(hostJson, { JOB_CHUNK_SIZE: '1' })).toEqual(hostJson);
    const wrong = withHostOverrides(hostJson, { AzureFunctionsJobHost__extensions__durable__storageProvider__type: 'azureManaged' });
    expect((((wrong.extensions as Json).durableTask as Json).storageProvider as Json).type).toBeUndefined();
  });
});
