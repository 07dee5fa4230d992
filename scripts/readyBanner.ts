import { azuriteConnectionString } from '../devhost/azurite';
import { AZURITE_DEFAULT_PORTS } from '../devhost/azuritePorts';

/**
 * What `npm start` prints once it is ready. On ports other than the defaults it also says how to
 * point the clients at this app: `azmlb`, `npm run upload` and storage tools otherwise go to 7071
 * and 10000, i.e. to another app on the machine, if one runs there.
 */
export function readyBanner(app: { url: string; issuer: boolean; connectionString: string }): string[] {
  const lines = [`Ready: ${app.url}`, `  Studio: ${app.url}/api/studio/`, `  curl ${app.url}/api/health`];
  if (app.issuer) lines.push('  TOKEN=$(npm run --silent token -- --roles BatchEndpoints.Invoke)   # then see README: invoke the iris endpoint');
  if (new URL(app.url).port !== '7071') {
    lines.push(`  Not on 7071: point the clients here (azmlb, npm run upload, the README's walkthrough):`, `    export AZMLB_URL=${app.url}`);
  }
  const storage = app.connectionString.replace(/;$/, '');
  if (storage !== azuriteConnectionString(AZURITE_DEFAULT_PORTS).replace(/;$/, '') && storage.includes('devstoreaccount1')) {
    lines.push(`  Azurite not on 10000-10002 (UseDevelopmentStorage=true is not this one): storage tools (az storage, Storage Explorer) take`, `    export AZURE_STORAGE_CONNECTION_STRING='${app.connectionString}'`);
  }
  return lines;
}
