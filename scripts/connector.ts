#!/usr/bin/env node
// `npm run connector`: writes the custom connector definition (samples/connector/) from the same
// route descriptions and schemas as GET /api/swagger.json (test/samples/connector.test.ts fails
// when the committed files differ from a fresh generation).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTE_DOCS } from '../app/routeDocs';
import { swagger2 } from '../lib/openapi/document';
import { appVersion } from '../lib/version';

/** Placeholders the connector's importer replaces (paac / the portal). */
export const CONNECTOR_HOST = 'YOUR-FUNCTION-APP.azurewebsites.net';
export const APP_ID_URI = 'api://YOUR-TENANT-ID/batch-endpoints-YOUR-TOKEN';

/** The two files, as text. */
export function connectorFiles(): Record<string, string> {
  const definition = swagger2(ROUTE_DOCS, {
    title: 'Batch endpoints',
    version: appVersion(),
    description: 'Invoke Azure ML-style batch endpoints on Azure Functions, follow jobs, read outputs.',
    origin: `https://${CONNECTOR_HOST}`,
    appIdUri: APP_ID_URI,
  });
  const properties = {
    properties: {
      connectionParameters: {
        token: {
          type: 'oauthSetting',
          oAuthSettings: {
            identityProvider: 'aad',
            clientId: 'YOUR-CONNECTOR-CLIENT-ID',
            scopes: [],
            redirectMode: 'GlobalPerConnector',
            redirectUrl: 'https://global.consent.azure-apim.net/redirect',
            properties: { IsFirstParty: 'False', AzureActiveDirectoryResourceId: APP_ID_URI },
            customParameters: {
              loginUri: { value: 'https://login.microsoftonline.com' },
              tenantId: { value: 'common' },
              resourceUri: { value: APP_ID_URI },
              enableOnbehalfOfLogin: { value: 'false' },
            },
          },
        },
      },
      iconBrandColor: '#0078D4',
      capabilities: [],
      publisher: 'batch-endpoints',
      stackOwner: 'batch-endpoints',
    },
  };
  const text = (o: unknown) => `${JSON.stringify(o, null, 2)}\n`;
  return { 'apiDefinition.swagger.json': text(definition), 'apiProperties.json': text(properties) };
}

if (require.main === module) {
  const dir = join(__dirname, '..', '..', 'samples', 'connector');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(connectorFiles())) writeFileSync(join(dir, name), text);
  console.log(`samples/connector: ${Object.keys(connectorFiles()).join(', ')}`);
}
