#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack, stopOnSignals } from '../devhost/localStack';
import { readyBanner } from './readyBanner';

/**
 * `npm start`: Azurite + local token issuer + the local Functions host running this app, with the
 * Iris sample registered (endpoint `iris`, a no-code default deployment and a scripted one).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.DEVHOST_PORT ?? '7071' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-sample': { type: 'boolean', default: false },
    },
  });
  const appDir = resolve(__dirname, '..', '..');
  const starting = startLocalStack({ appDir, port: Number(values.port), host: values.host });
  // The sample's code (Azure SDKs, the app's settings) loads while Azurite and the host start.
  const sampleCode = values['no-sample'] ? undefined : loadSampleCode();
  const stack = await starting;
  stopOnSignals(stack);
  const url = stack.host.url;
  if (sampleCode) {
    const { loadSettings, storageClients, AppClient, uploadSampleFiles, registerSample, SAMPLE } = await sampleCode;
    // After the stack started: it sets AzureWebJobsStorage for this process. The local issuer's
    // auth settings go to the host only, so they are added here (settings refuse no issuer at all).
    const issuer = stack.issuer;
    const config = loadSettings({ ...process.env, ...(issuer ? { AUTH_ISSUERS: issuer.issuer, AUTH_AUDIENCES: issuer.audience } : {}) });
    const clients = storageClients(config.storage);
    const client = new AppClient({
      url,
      blob: clients.blob,
      workspaceContainer: config.workspaceBlobContainer,
      token: async (roles, name) => issuer?.signToken({ roles: [...roles], name }),
      name: 'npm start',
    });
    try {
      const uploaded = await uploadSampleFiles(client, join(appDir, 'samples', 'iris'));
      await registerSample(client);
      console.log(`Sample: ${uploaded} files uploaded; endpoint '${SAMPLE.endpoint}' with deployments '${SAMPLE.noCodeDeployment}' (default) and '${SAMPLE.scriptDeployment}'.`);
    } catch (err) {
      await stack.stop(); // the host runs in its own process group: it would outlive us
      throw err;
    }
  }
  console.log(`\n${readyBanner({ url, issuer: stack.issuer !== undefined, connectionString: stack.connectionString }).join('\n')}`);
  console.log('Stop:  Ctrl+C\n');
}

async function loadSampleCode() {
  const [settings, clients, client, sample] = await Promise.all([
    import('../app/settings.js'),
    import('../lib/storage/clients.js'),
    import('./support/appClient.js'),
    import('./seedSample.js'),
  ]);
  return { loadSettings: settings.loadSettings, storageClients: clients.storageClients, AppClient: client.AppClient, ...sample };
}

main().catch((err: Error) => {
  console.error(`npm start failed: ${err.message}`);
  process.exit(1);
});
