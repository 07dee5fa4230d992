// The app settings in the Bicep (infra/app/api.bicep) against the settings the app reads
// (app/settings.ts SETTINGS_TABLE), in both directions, and their values against the app's defaults.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { loadSettings, SETTINGS_TABLE } from '../../app/settings';
import { repoRoot } from '../support/devhost';
import { type BicepFile, childrenOf, descendants, parseBicep, propertiesOf, stringValues, variablesOf } from './bicep';

/** Settings the app reads that Azure does not get, and why. */
const NOT_SET_IN_AZURE: Record<string, string> = {
  AzureWebJobsStorage: 'a connection string carries the account key; keys are off, the identity-based AzureWebJobsStorage__* settings are used',
  AzureWebJobsStorage__accountName: 'the three service URIs are set instead',
  AUTH_DISABLED: 'local development only; the app refuses it in Azure',
  AUTH_OPENID_CONFIG_URL: "the default (each issuer's own metadata) is Entra's",
  WEBSITE_HOSTNAME: 'set by the platform to the app\'s host name',
  SCORING_WORK_DIR: "the default (the app's folder under the instance's temp folder) is what Flex Consumption offers",
  LOCAL_ISSUER_DIR: "the studio's local sign-in, local development only: it is refused in Azure",
  STUDIO_CLIENT_ID: "optional: the studio's SPA app registration, which the template does not create (docs/studio.md); without it the studio page says sign-in is not configured",
  STUDIO_AUTHORITY: 'optional: the default (derived from AUTH_ISSUERS, which the template sets to Entra) is right',
  STUDIO_API_SCOPE: "optional: the default (`<first AUTH_AUDIENCES>/.default`) is the API's App ID URI the template sets",
};

/** Settings in the Bicep that the Functions host (not the app) reads, and why they are there. */
const HOST_SETTINGS: Record<string, string> = {
  AzureWebJobsStorage__credential: 'identity-based host storage: use the managed identity',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'where the host sends telemetry',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'telemetry sent with the managed identity (local auth is off)',
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'the Durable Task Scheduler endpoint and identity, named by storageProvider.connectionStringName',
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'host.json override: the Durable Task Scheduler provider',
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'host.json override: the setting that holds its connection',
};

const api = await parseBicep(join(repoRoot, 'infra', 'app', 'api.bicep'));
const main = await parseBicep(join(repoRoot, 'infra', 'main.bicep'));
const appDefaults = new Map(SETTINGS_TABLE.map((s) => [s.name, s.default.replace(/`/g, '')]));

/** The variables union()-ed into the function app's appSettings parameter. */
function settingVariables(file: BicepFile): string[] {
  const module = descendants(file.root, 'object_property').find((p) => childrenOf(p)[0]?.text === 'appSettings');
  const call = module && childrenOf(module)[1];
  if (call?.type !== 'call_expression' || call.childForFieldName('function')?.text !== 'union') throw new Error('appSettings is not a union() of variables');
  return childrenOf(call.childForFieldName('arguments')!).map((a) => a.text);
}

/** Every setting name in those variables, with its value expression. */
function bicepSettings(file: BicepFile): Map<string, Node> {
  const vars = variablesOf(file);
  const settings = new Map<string, Node>();
  for (const name of settingVariables(file)) {
    const value = vars.get(name);
    if (!value) throw new Error(`appSettings uses ${name}, which is not a variable of ${file.path}`);
    const objects = value.type === 'object' ? [value] : descendants(value, 'object');
    for (const object of objects) for (const { key, value: v } of propertiesOf(object)) settings.set(key, v);
  }
  return settings;
}

/** A setting's value when it is a constant: a literal here, or a name from main.bicep's dataNames. */
const constantOf = (value: Node): string | undefined => (stringValues(api, value) ?? stringValues(main, value))?.[0];

const settings = bicepSettings(api);

describe('app settings: Bicep against the app', () => {
  it('finds the settings in every variable union()-ed into appSettings', () => {
    expect(settingVariables(api).length).toBeGreaterThan(4);
    expect(settings.size).toBeGreaterThan(20);
  });

  it('every setting the app reads is set in the Bicep, or is listed with the reason it is not', () => {
    const missing = SETTINGS_TABLE.map((s) => s.name).filter((name) => !settings.has(name) && !(name in NOT_SET_IN_AZURE));
    expect(missing).toEqual([]);
    // The reasons stay true: none of those is set after all, and each is still read by the app.
    for (const name of Object.keys(NOT_SET_IN_AZURE)) {
      expect(settings.has(name), name).toBe(false);
      expect(appDefaults.has(name), name).toBe(true);
    }
  });

  it('every setting in the Bicep is read by the app or by the Functions host', () => {
    const unread = [...settings.keys()].filter((name) => !appDefaults.has(name) && !(name in HOST_SETTINGS));
    expect(unread).toEqual([]);
    for (const name of Object.keys(HOST_SETTINGS)) expect(settings.has(name), name).toBe(true);
  });

  it('constant values are the app\'s own defaults', () => {
    const differing = [...settings]
      .filter(([name]) => appDefaults.has(name))
      .map(([name, value]) => ({ name, bicep: constantOf(value), app: appDefaults.get(name) }))
      .filter((s) => s.bicep !== undefined && s.bicep !== s.app);
    expect(differing).toEqual([]);
    // Most are constants; the rest come from other resources (URIs, identity, Entra app).
    const constants = [...settings].filter(([name, value]) => appDefaults.has(name) && constantOf(value) !== undefined);
    expect(constants.length).toBeGreaterThan(12);
  });

  it('the app accepts the settings as Azure gets them', () => {
    // Values that come from other resources take the shape Azure gives them.
    const fromResources: Record<string, string> = {
      AzureWebJobsStorage__blobServiceUri: 'https://stabc.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://stabc.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://stabc.table.core.windows.net',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
      AUTH_ISSUERS: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000002/v2.0,https://sts.windows.net/00000000-0000-0000-0000-000000000002/',
      AUTH_AUDIENCES: '00000000-0000-0000-0000-000000000003,api://00000000-0000-0000-0000-000000000002/batch-endpoints-abc',
      SCORING_MAX_WORKERS: '2',
    };
    const env: Record<string, string> = { WEBSITE_SITE_NAME: 'func-api-abc', WEBSITE_HOSTNAME: 'func-api-abc.azurewebsites.net' };
    for (const [name, value] of settings) {
      if (!appDefaults.has(name)) continue;
      const text = constantOf(value) ?? fromResources[name];
      expect(text, `${name} has neither a constant nor a sample value`).toBeDefined();
      env[name] = text!;
    }
    const loaded = loadSettings(env);
    expect(loaded.storage).toEqual({
      blobServiceUri: 'https://stabc.blob.core.windows.net',
      queueServiceUri: 'https://stabc.queue.core.windows.net',
      tableServiceUri: 'https://stabc.table.core.windows.net',
      clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(loaded.auth.disabled).toBe(false);
    expect(loaded.auth.issuers).toHaveLength(2);
    expect(loaded.tables).toEqual({ registry: 'registry', jobs: 'jobs', miniBatches: 'minibatches' });
  });

  it('the storage account gets every table and container the settings name', () => {
    const storage = descendants(main.root, 'module_declaration').find((m) => m.text.includes("'core/storage/storage-account.bicep'"))!;
    const list = (key: string): string[] => {
      const property = descendants(storage, 'object_property').find((p) => childrenOf(p)[0]?.text === key)!;
      // Constant names only: the deployment package container is named per environment.
      return childrenOf(childrenOf(property)[1]!).flatMap((item) => stringValues(main, item) ?? []);
    };
    const tables = list('tables');
    const containers = list('containers');
    for (const name of ['REGISTRY_TABLE', 'JOBS_TABLE', 'MINIBATCHES_TABLE']) expect(tables).toContain(constantOf(settings.get(name)!));
    for (const name of ['WORKSPACE_BLOB_CONTAINER', 'JOB_PLANS_CONTAINER']) expect(containers).toContain(constantOf(settings.get(name)!));
    expect(containers).toEqual(expect.arrayContaining(['batch-inbox', 'batch-outbox']));
  });

  it('local.settings.sample.json sets only what the app, devhost or Core Tools read', () => {
    const sample = JSON.parse(readFileSync(join(repoRoot, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
    const devhostSource = readdirSync(join(repoRoot, 'devhost'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
      .join('\n');
    const coreTools = new Set(['FUNCTIONS_WORKER_RUNTIME']);
    const unread = Object.keys(sample.Values).filter((name) => !appDefaults.has(name) && !coreTools.has(name) && !devhostSource.includes(name));
    expect(unread).toEqual([]);
    // Storage goes by the same connection name locally (a connection string) and in Azure (identity).
    expect(Object.keys(sample.Values)).toContain('AzureWebJobsStorage');
    expect([...settings.keys()].filter((n) => n.startsWith('AzureWebJobsStorage__')).length).toBe(5);
  });
});
