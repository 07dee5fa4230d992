#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from './azurite';
import { startHost } from './host';
import { startLocalIssuer, type LocalIssuer } from './issuer';
import { applyLocalSettings } from './settings';
import { isAzurite, resolveConnectionString } from './storage';

const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 };

async function azuriteAnswers(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
  return !!res && /azurite/i.test(res.headers.get('server') ?? '');
}

/**
 * `npm start`: everything a developer needs on one machine. Starts Azurite (data in .azurite/,
 * unless AzureWebJobsStorage names a real account or an Azurite is already running), then the
 * local Functions host on port 7071 with the app in this folder.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.DEVHOST_PORT ?? '7071' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const appDir = resolve(__dirname, '..', '..');
  const settingsFile = applyLocalSettings(appDir);
  const connection = resolveConnectionString(process.env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true');
  process.env.AzureWebJobsStorage = connection;

  let azurite: RunningAzurite | undefined;
  if (!isAzurite(connection)) {
    console.log('AzureWebJobsStorage names a storage account: Azurite is not started.');
  } else if (await azuriteAnswers(AZURITE_PORTS.blob)) {
    console.log('Using the Azurite already running on ports 10000-10002.');
  } else {
    const location = join(appDir, '.azurite');
    azurite = await startAzurite({ location, ...{ blobPort: AZURITE_PORTS.blob, queuePort: AZURITE_PORTS.queue, tablePort: AZURITE_PORTS.table } });
    console.log(`Azurite started on ports 10000-10002 (data in ${location}).`);
  }
  if (settingsFile) console.log(`Settings from ${settingsFile}.`);

  // A local OpenID issuer stands in for Entra ID: the app validates its tokens with the same code.
  let issuer: LocalIssuer | undefined;
  if (!process.env.AUTH_ISSUERS && process.env.AUTH_DISABLED !== 'true') {
    issuer = await startLocalIssuer({ dataDir: join(appDir, '.devhost', 'issuer'), port: Number(process.env.LOCAL_ISSUER_PORT ?? 7072) });
    process.env.AUTH_ISSUERS = issuer.issuer;
    process.env.AUTH_AUDIENCES = issuer.audience;
    console.log(`Local token issuer: ${issuer.issuer} (audience ${issuer.audience}).`);
  }

  const host = await startHost({ appDir, port: Number(values.port), host: values.host });
  const health = await fetch(`${host.url}/api/health`).then((r) => r.json()).catch(() => undefined);
  console.log(`\nReady: ${host.url}  (health: ${(health as { status?: string } | undefined)?.status ?? 'unknown'})`);
  console.log(`Try:   curl ${host.url}/api/health`);
  if (issuer) console.log(`Token: npm run --silent token -- --roles BatchEndpoints.Invoke`);
  console.log('Stop:  Ctrl+C\n');

  let signals = 0;
  const shutdown = async (signal: string) => {
    if (++signals > 1) process.exit(130);
    console.log(`${signal} received: stopping.`);
    await host.stop().catch(() => undefined);
    await issuer?.stop();
    await azurite?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: Error) => {
  console.error(`npm start failed: ${err.message}`);
  process.exit(1);
});
