import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

const MAX_LENGTH = 32;

function clean(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '')
    .slice(0, MAX_LENGTH)
    .replace(/-+$/, '');
}

/**
 * The host id that scopes receipts and timer status, chosen like the real host: the
 * `AzureFunctionsWebHost__hostid` setting, else the site name, else (running locally) the machine
 * name plus a hash of the app folder, so two apps on one machine never share receipts.
 */
export function hostIdFrom(env: NodeJS.ProcessEnv, appDir: string = process.cwd()): string {
  const explicitKey = Object.keys(env).find((k) => /^AzureFunctionsWebHost(__|:)hostid$/i.test(k));
  const explicit = explicitKey ? env[explicitKey]?.trim() : undefined;
  if (explicit) {
    if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(explicit)) {
      throw new Error(`Host id '${explicit}' is invalid: 1-32 lowercase letters, digits and dashes, not starting or ending with a dash.`);
    }
    return explicit;
  }
  if (env.WEBSITE_SITE_NAME) return clean(env.WEBSITE_SITE_NAME) || 'devhost';
  const hash = createHash('sha256').update(appDir).digest().readUInt32BE(0);
  // Keep the hash whole: it is what tells two apps on one machine apart.
  const machine = clean(hostname()).slice(0, MAX_LENGTH - 11) || 'devhost';
  return `${machine}-${hash}`;
}
