import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { connectorFiles } from '../../scripts/connector';
import { repoRoot } from '../support/devhost';

const dir = join(repoRoot, 'samples', 'connector');

describe('the custom connector sample (samples/connector)', () => {
  it('is what `npm run connector` generates now (regenerate after changing a route or schema)', () => {
    for (const [name, text] of Object.entries(connectorFiles())) {
      expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
    }
  });

  it('is a valid OpenAPI 2.0 document under 1 MB whose only security is Entra OAuth', async () => {
    const text = readFileSync(join(dir, 'apiDefinition.swagger.json'), 'utf8');
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    const doc = JSON.parse(text);
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    expect(Object.keys(doc.securityDefinitions)).toEqual(['oauth2_auth']);
    const props = JSON.parse(readFileSync(join(dir, 'apiProperties.json'), 'utf8'));
    expect(props.properties.connectionParameters.token.oAuthSettings.identityProvider).toBe('aad');
  });
});
