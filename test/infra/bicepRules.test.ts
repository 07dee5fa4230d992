// Security and hygiene rules of the Bicep template, read from the parsed files (test/infra/bicep.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Node } from 'web-tree-sitter';
import { ROLE_INVOKE, ROLE_MANAGE, ROLE_READ } from '../../lib/auth/roles';
import {
  type BicepFile,
  childrenOf,
  decoratorNames,
  descendants,
  literalString,
  parseAllBicep,
  parseBicepText,
  propertiesOf,
  resourcesOf,
  stringValues,
  variablesOf,
} from './bicep';

const documented: Record<string, string> = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'builtInRoles.json'), 'utf8')).roles;
const files = await parseAllBicep();
const file = (path: string): BicepFile => {
  const found = files.find((f) => f.path === path);
  if (!found) throw new Error(`${path} not found`);
  return found;
};

/** A property of an object literal by path (`a.b.c`), or undefined. */
function propertyAt(object: Node, path: string): Node | undefined {
  let current: Node | undefined = object;
  for (const key of path.split('.')) {
    if (current?.type !== 'object') return undefined;
    current = propertiesOf(current).find((p) => p.key === key)?.value;
  }
  return current;
}

const isExisting = (resource: Node): boolean => resource.children.some((c) => c?.type === 'existing');

/** Role definition ids used in `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <id>)`. */
function roleDefinitionIds(f: BicepFile): { ids: string[] | undefined; text: string }[] {
  return descendants(f.root, 'call_expression')
    .filter((call) => call.childForFieldName('function')?.text === 'subscriptionResourceId')
    .map((call) => childrenOf(call.childForFieldName('arguments')!))
    .filter((args) => stringValues(f, args[0]!)?.[0] === 'Microsoft.Authorization/roleDefinitions')
    .map((args) => ({ ids: stringValues(f, args[1]!), text: args[1]!.text }));
}

/** What an output could leak: list*() calls, connection strings, keys, secrets, @secure() params. */
function leakyOutputs(f: BicepFile): string[] {
  const secureParams = new Set(
    childrenOf(f.root)
      .filter((n) => n.type === 'parameter_declaration' && decoratorNames(n).includes('secure'))
      .map((n) => childrenOf(n)[0]!.text),
  );
  return childrenOf(f.root)
    .filter((n) => n.type === 'output_declaration')
    .filter((output) => {
      const text = output.text;
      const identifiers = descendants(output, 'identifier').map((i) => i.text);
      return (
        /\blist\w*\s*\(/i.test(text) ||
        /connectionstring|instrumentationkey|secret|password|accountkey|sharedaccess|sas/i.test(text) ||
        /\bkeys?\b/i.test(childrenOf(output)[0]!.text.replace(/([a-z])([A-Z])/g, '$1 $2')) ||
        identifiers.some((i) => secureParams.has(i))
      );
    })
    .map((output) => `${f.path}: ${output.text.split('\n')[0]}`);
}

describe('infra role assignments', () => {
  it('every role definition id is a documented built-in role', () => {
    const used = files.flatMap((f) => roleDefinitionIds(f).map((r) => ({ ...r, path: f.path })));
    expect(used.length).toBeGreaterThan(0);
    const known = new Set(Object.values(documented));
    expect(used.filter((r) => !r.ids || r.ids.length === 0 || r.ids.some((id) => !known.has(id)))).toEqual([]);
  });

  it('each id in rbac.bicep is named after its documented role, and the issue\'s roles are all granted', () => {
    const rbac = file('infra/app/rbac.bicep');
    const roles = variablesOf(rbac).get('roles')!;
    const lines = rbac.text.split('\n');
    const named = propertiesOf(roles).map(({ value }) => ({
      id: literalString(value),
      comment: /\/\/\s*(.+?)\s*$/.exec(lines[value.startPosition.row]!)?.[1],
    }));
    for (const { id, comment } of named) expect(documented[comment ?? '']).toBe(id);
    const granted = new Set(roleDefinitionIds(rbac).flatMap((r) => r.ids ?? []));
    for (const name of Object.keys(documented)) expect(granted.has(documented[name]), name).toBe(true);
  });

  it('every role assignment states its principal type', () => {
    const assignments = files.flatMap((f) => resourcesOf(f).filter((r) => r.type.startsWith('Microsoft.Authorization/roleAssignments@')));
    expect(assignments.length).toBeGreaterThan(0);
    for (const a of assignments) expect(propertyAt(a.body, 'properties.principalType'), a.name).toBeDefined();
  });

  it('the id check can fail: an unknown id is not resolved to a documented role', async () => {
    const bad = await parseBicepText("var roles = { owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635' }\nvar r = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.owner)\n");
    const ids = roleDefinitionIds(bad).flatMap((r) => r.ids ?? []);
    expect(ids).toEqual(['8e3af657-a8ff-443c-a75c-2fe8c4bcb635']); // Owner: not in the documented list
    expect(Object.values(documented)).not.toContain(ids[0]);
  });
});

describe('infra parameters and outputs', () => {
  it('every parameter of every file has a description', () => {
    const missing = files.flatMap((f) =>
      childrenOf(f.root)
        .filter((n) => n.type === 'parameter_declaration' && !decoratorNames(n).includes('description'))
        .map((n) => `${f.path}: ${n.text.split('\n')[0]}`),
    );
    expect(missing).toEqual([]);
  });

  it('no output carries a key, secret or connection string', () => {
    expect(files.flatMap(leakyOutputs)).toEqual([]);
  });

  it('the output check can fail', async () => {
    const bad = await parseBicepText(
      [
        "resource s 'Microsoft.Storage/storageAccounts@2023-05-01' existing = { name: 'x' }",
        "resource a 'Microsoft.Insights/components@2020-02-02' existing = { name: 'y' }",
        '@secure()',
        "@description('d')",
        'param token string',
        'output k string = s.listKeys().keys[0].value',
        'output c string = a.properties.ConnectionString',
        'output t string = token',
        "output storageKey string = 'x'",
        "output ok string = 'https://example.org'",
      ].join('\n'),
    );
    expect(leakyOutputs(bad).length).toBe(4);
  });
});

describe('infra resource settings', () => {
  it('storage accounts: shared keys off, TLS 1.2, no public blobs, HTTPS only', () => {
    const accounts = files.flatMap((f) =>
      resourcesOf(f).filter((r) => r.type.startsWith('Microsoft.Storage/storageAccounts@') && !isExisting(r.node)),
    );
    expect(accounts.length).toBe(1);
    for (const a of accounts) {
      expect(propertyAt(a.body, 'properties.allowSharedKeyAccess')?.text).toBe('false');
      expect(literalString(propertyAt(a.body, 'properties.minimumTlsVersion'))).toBe('TLS1_2');
      expect(propertyAt(a.body, 'properties.allowBlobPublicAccess')?.text).toBe('false');
      expect(propertyAt(a.body, 'properties.supportsHttpsTrafficOnly')?.text).toBe('true');
    }
  });

  it('Application Insights takes only Entra-authenticated telemetry', () => {
    const components = resourcesOf(file('infra/core/monitor/monitoring.bicep')).filter((r) => r.type.startsWith('Microsoft.Insights/components@'));
    expect(components.length).toBe(1);
    expect(propertyAt(components[0]!.body, 'properties.DisableLocalAuth')?.text).toBe('true');
  });

  it('the function app: Flex Consumption, HTTPS only, TLS 1.2, package pulled with its identity, no publishing passwords', () => {
    const plan = resourcesOf(file('infra/core/host/flex-consumption-plan.bicep'))[0]!;
    expect(literalString(propertyAt(plan.body, 'sku.name'))).toBe('FC1');
    const site = resourcesOf(file('infra/core/host/functions-flex-consumption.bicep')).find((r) => r.type.startsWith('Microsoft.Web/sites@'))!;
    expect(propertyAt(site.body, 'properties.httpsOnly')?.text).toBe('true');
    expect(literalString(propertyAt(site.body, 'properties.siteConfig.minTlsVersion'))).toBe('1.2');
    expect(literalString(propertyAt(site.body, 'identity.type'))).toBe('UserAssigned');
    expect(literalString(propertyAt(site.body, 'properties.functionAppConfig.deployment.storage.authentication.type'))).toBe('UserAssignedIdentity');
    const basicAuth = resourcesOf(file('infra/core/host/functions-flex-consumption.bicep')).filter((r) => r.type === 'basicPublishingCredentialsPolicies');
    expect(basicAuth.map((r) => propertyAt(r.body, 'properties.allow')?.text)).toEqual(['false', 'false']);
  });

  it('the Entra app registration declares exactly the three app roles the app checks', () => {
    const entra = file('infra/app/entra-api.bicep');
    const values = variablesOf(entra).get('roleValues')!;
    const roles = childrenOf(values).map((n) => literalString(n));
    expect(roles.sort()).toEqual([ROLE_INVOKE, ROLE_MANAGE, ROLE_READ].sort());
  });
});
