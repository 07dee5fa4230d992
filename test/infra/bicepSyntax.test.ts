// Every Bicep file parses with the tree-sitter Bicep grammar without error or missing nodes.
// Not a Bicep compile (no Bicep CLI here): types, scopes and API versions are not checked.
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/devhost';
import { bicepPaths, forGrammar, parseBicep, parseBicepText, syntaxErrors } from './bicep';

describe('infra/*.bicep syntax', () => {
  it('finds the template: main.bicep and its modules', () => {
    const paths = bicepPaths().map((p) => relative(repoRoot, p));
    expect(paths).toContain('infra/main.bicep');
    expect(paths.filter((p) => p.startsWith('infra/core/')).length).toBeGreaterThan(3);
    expect(paths.filter((p) => p.startsWith('infra/app/')).length).toBeGreaterThan(3);
  });

  for (const path of bicepPaths()) {
    it(`${relative(repoRoot, path)} has no syntax error`, async () => {
      const file = await parseBicep(path);
      expect(syntaxErrors(file.root)).toEqual([]);
    });
  }

  it('the check can fail: a broken declaration, an unclosed object and a stray token are reported', async () => {
    const broken = await parseBicepText("param a string = = 'x'\nresource r 'Microsoft.Web/sites@2024-04-01' = {\n  name: 'n'\n");
    expect(syntaxErrors(broken.root).length).toBeGreaterThan(0);
    const stray = await parseBicepText("var a = {\n  k: 'v'\n} }\n");
    expect(syntaxErrors(stray.root).length).toBeGreaterThan(0);
  });

  it('the extension keyword is rewritten only as a top-level statement, keeping offsets', async () => {
    const text = "extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'\nvar extension = 'extension x'\n";
    const rewritten = forGrammar(text);
    expect(rewritten.length).toBe(text.length);
    expect(rewritten.split('\n')[1]).toBe("var extension = 'extension x'");
    expect(syntaxErrors((await parseBicepText(text)).root)).toEqual([]);
    // Without the rewrite the grammar (which predates the keyword) reports the statement.
    expect(syntaxErrors((await parseBicepText(text.replace('extension ', 'extenshun '))).root).length).toBeGreaterThan(0);
  });
});
