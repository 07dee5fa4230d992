// The azd wiring around the Bicep: azure.yaml, main.parameters.json, the postdeploy hooks and the
// README's commands use names that main.bicep and the subscription module really declare.
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from '../support/devhost';
import { type BicepFile, childrenOf, decoratorNames, parseBicep } from './bicep';

const read = (...parts: string[]): string => readFileSync(join(repoRoot, ...parts), 'utf8');
const main = await parseBicep(join(repoRoot, 'infra', 'main.bicep'));
const subscription = await parseBicep(join(repoRoot, 'infra', 'app', 'blob-drop-subscription.bicep'));

const declared = (file: BicepFile, type: 'output_declaration' | 'parameter_declaration'): { name: string; hasDefault: boolean }[] =>
  childrenOf(file.root)
    .filter((n) => n.type === type)
    .map((n) => ({ name: childrenOf(n)[0]!.text, hasDefault: childrenOf(n).length > 2 }));

const outputs = new Set(declared(main, 'output_declaration').map((o) => o.name));
/** Variables azd itself puts in the environment (not outputs). */
const AZD_VARIABLES = new Set(['AZURE_ENV_NAME', 'AZURE_LOCATION', 'AZURE_PRINCIPAL_ID', 'AZURE_PRINCIPAL_TYPE', 'AZURE_SUBSCRIPTION_ID']);

describe('azd template wiring', () => {
  it('azure.yaml: one function service in TypeScript, a postdeploy hook per platform that exists', () => {
    const azure = parse(read('azure.yaml')) as {
      name: string;
      services: Record<string, { project: string; language: string; host: string; remoteBuild?: boolean }>;
      hooks: { postdeploy: { posix: { run: string }; windows: { run: string } } };
    };
    expect(azure.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(azure.services).toEqual({ api: { project: '.', language: 'ts', host: 'function', remoteBuild: true } });
    accessSync(join(repoRoot, azure.hooks.postdeploy.posix.run), constants.X_OK);
    accessSync(join(repoRoot, azure.hooks.postdeploy.windows.run), constants.R_OK);
  });

  it('the function app is tagged with the service name azd deploys to', () => {
    expect(read('infra', 'app', 'api.bicep')).toContain("union(tags, { 'azd-service-name': 'api' })");
  });

  it('main.parameters.json sets parameters main.bicep declares, and every parameter without a default', () => {
    const parameters = Object.keys((JSON.parse(read('infra', 'main.parameters.json')) as { parameters: Record<string, unknown> }).parameters);
    const params = declared(main, 'parameter_declaration');
    expect(parameters.filter((p) => !params.some((d) => d.name === p))).toEqual([]);
    expect(params.filter((p) => !p.hasDefault && !parameters.includes(p.name)).map((p) => p.name)).toEqual([]);
  });

  it('the location parameter is the one azd prompts for', () => {
    const location = childrenOf(main.root).find((n) => n.type === 'parameter_declaration' && childrenOf(n)[0]?.text === 'location')!;
    expect(decoratorNames(location)).toContain('metadata');
    expect(location.previousNamedSibling?.text).toContain("azd: { type: 'location' }");
  });

  for (const hook of ['postdeploy.sh', 'postdeploy.ps1']) {
    it(`${hook} reads only outputs of main.bicep and passes only parameters of the subscription module`, () => {
      const text = read('infra', 'hooks', hook);
      const reference = hook.endsWith('.ps1') ? /\$env:(\w+)/g : /\$\{?(\w+)/g;
      const variables = new Set([...text.matchAll(reference)].map((m) => m[1]!).filter((v) => /^[A-Z][A-Z0-9_]+$/.test(v)));
      variables.delete('BLOB_DROP_FUNCTION_NAME'); // optional override, read with a default
      expect([...variables].filter((v) => !outputs.has(v) && !AZD_VARIABLES.has(v))).toEqual([]);
      const parametersText = text.slice(text.indexOf('--parameters'), text.indexOf('--output none'));
      const passed = [...parametersText.matchAll(/(\w+)=/g)].map((m) => m[1]!);
      const params = new Set(declared(subscription, 'parameter_declaration').map((p) => p.name));
      expect(passed.length).toBe(4);
      expect(passed.filter((p) => !params.has(p))).toEqual([]);
      expect(text).toContain('blob-drop-subscription.bicep');
      expect(text).toContain('systemKeys.blobs_extension != null'); // asks yes/no, never prints the key
    });
  }

  it('the README\'s Deploy to Azure commands use environment values that exist', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Deploy to Azure'), readme.indexOf('## Development'));
    expect(section.length).toBeGreaterThan(1000);
    const used = new Set([...section.matchAll(/\$\{?([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const name of ['SERVICE_API_URI', 'API_APP_ID_URI', 'API_APP_ID']) expect(used.has(name), name).toBe(true);
    // Shell variables the section defines itself are not environment values.
    for (const local of ['TOKEN', 'API_SP', 'ROLE', 'PRINCIPAL']) used.delete(local);
    expect([...used].filter((v) => !outputs.has(v) && !AZD_VARIABLES.has(v))).toEqual([]);
    expect(section).toContain('az account get-access-token --resource "$API_APP_ID_URI"');
    expect(section).toContain('azd env set DURABLE_BACKEND durableTaskScheduler');
  });

  it('the Durable back end parameter azd passes has exactly the values main.bicep allows', () => {
    const parameters = read('infra', 'main.parameters.json');
    expect(parameters).toContain('"${DURABLE_BACKEND=azureStorage}"');
    const backend = childrenOf(main.root).find((n) => n.type === 'parameter_declaration' && childrenOf(n)[0]?.text === 'durableBackend')!;
    expect(backend.previousNamedSibling?.text).toContain("@allowed(['azureStorage', 'durableTaskScheduler'])");
  });
});
