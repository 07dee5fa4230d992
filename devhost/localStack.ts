import { join } from 'node:path';
import { startAzurite, type RunningAzurite } from './azurite';
import { startHost, type RunningHost } from './host';
import { startLocalIssuer, type LocalIssuer } from './issuer';
import { applyLocalSettings } from './settings';
import { isAzurite, resolveConnectionString } from './storage';

const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 };

export interface LocalStack {
  host: RunningHost;
  issuer?: LocalIssuer;
  azurite?: RunningAzurite;
  stop(): Promise<void>;
}

async function azuriteAnswers(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
  return !!res && /azurite/i.test(res.headers.get('server') ?? '');
}

/**
 * Everything a Functions app needs on one machine: Azurite (data in `<appDir>/.azurite`, unless
 * AzureWebJobsStorage names a real account or an Azurite already runs), a local OpenID issuer
 * standing in for Entra ID (unless AUTH_ISSUERS is configured), and the local host.
 */
export async function startLocalStack(options: { appDir: string; port: number; host?: string; say?: (line: string) => void }): Promise<LocalStack> {
  const say = options.say ?? ((line: string) => console.log(line));
  const settingsFile = applyLocalSettings(options.appDir);
  if (settingsFile) say(`Settings from ${settingsFile}.`);
  const connection = resolveConnectionString(process.env.AzureWebJobsStorage ?? 'UseDevelopmentStorage=true');
  process.env.AzureWebJobsStorage = connection;

  let azurite: RunningAzurite | undefined;
  if (!isAzurite(connection)) {
    say('AzureWebJobsStorage names a storage account: Azurite is not started.');
  } else if (await azuriteAnswers(AZURITE_PORTS.blob)) {
    say('Using the Azurite already running on ports 10000-10002.');
  } else {
    const location = join(options.appDir, '.azurite');
    azurite = await startAzurite({ location, blobPort: AZURITE_PORTS.blob, queuePort: AZURITE_PORTS.queue, tablePort: AZURITE_PORTS.table });
    say(`Azurite started on ports 10000-10002 (data in ${location}).`);
  }

  // The app validates the local issuer's tokens with the same code it uses for Entra ID.
  let issuer: LocalIssuer | undefined;
  if (!process.env.AUTH_ISSUERS && process.env.AUTH_DISABLED !== 'true') {
    issuer = await startLocalIssuer({ dataDir: join(options.appDir, '.devhost', 'issuer'), port: Number(process.env.LOCAL_ISSUER_PORT ?? 7072) });
    process.env.AUTH_ISSUERS = issuer.issuer;
    process.env.AUTH_AUDIENCES = issuer.audience;
    say(`Local token issuer: ${issuer.issuer} (audience ${issuer.audience}).`);
  }

  const host = await startHost({ appDir: options.appDir, port: options.port, host: options.host });
  return {
    host,
    issuer,
    azurite,
    stop: async () => {
      await host.stop().catch(() => undefined);
      await issuer?.stop();
      await azurite?.stop();
    },
  };
}

/** Stops the stack on Ctrl+C / SIGTERM (a second signal exits at once). */
export function stopOnSignals(stack: LocalStack): void {
  let signals = 0;
  const shutdown = async (signal: string) => {
    if (++signals > 1) process.exit(130);
    console.log(`${signal} received: stopping.`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
