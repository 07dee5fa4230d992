#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack, stopOnSignals } from '../devhost/localStack';
import { loadSettings } from '../app/settings';
import { storageClients } from '../lib/storage/clients';
import { registerSample, SAMPLE, uploadSampleFiles } from './seedSample';
import { AppClient } from './support/appClient';

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
  const stack = await startLocalStack({ appDir, port: Number(values.port), host: values.host });
  stopOnSignals(stack);
  const url = stack.host.url;
  if (!values['no-sample']) {
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
  console.log(`\nReady: ${url}`);
  console.log(`  Studio: ${url}/api/studio/`);
  console.log(`  curl ${url}/api/health`);
  if (stack.issuer) console.log('  TOKEN=$(npm run --silent token -- --roles BatchEndpoints.Invoke)   # then see README: invoke the iris endpoint');
  console.log('Stop:  Ctrl+C\n');
}

main().catch((err: Error) => {
  console.error(`npm start failed: ${err.message}`);
  process.exit(1);
});
