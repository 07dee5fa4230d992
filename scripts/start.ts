#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalStack, stopOnSignals } from '../devhost/localStack';
import { ROLE_MANAGE } from '../lib/auth/roles';
import { workspaceBlobOf } from '../lib/registry/fromSettings';
import { storageClientsFromSetting } from '../lib/storage/clients';
import { registerSample, SAMPLE, uploadSampleFiles } from './seedSample';

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
    const clients = storageClientsFromSetting();
    const container = clients.blob.getContainerClient(workspaceBlobOf(clients.blob).containerName);
    const uploaded = await uploadSampleFiles(container, join(appDir, 'samples', 'iris'));
    const token = stack.issuer ? await stack.issuer.signToken({ roles: [ROLE_MANAGE], name: 'npm start' }) : '';
    await registerSample(url, token);
    console.log(`Sample: ${uploaded} files uploaded; endpoint '${SAMPLE.endpoint}' with deployments '${SAMPLE.noCodeDeployment}' (default) and '${SAMPLE.scriptDeployment}'.`);
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
