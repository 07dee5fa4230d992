import { isLocalUrl } from './localUrl';

type Env = Record<string, string | undefined>;

/** Names the setting that shows this process runs in Azure App Service / Functions, if any. */
export function azureMarker(env: Env): string | undefined {
  if (env['WEBSITE_INSTANCE_ID']) return 'WEBSITE_INSTANCE_ID';
  if (env['WEBSITE_SITE_NAME']) return 'WEBSITE_SITE_NAME';
  const host = env['WEBSITE_HOSTNAME']?.toLowerCase() ?? '';
  if (env['FUNCTIONS_WORKER_RUNTIME'] && /(^|\.)azurewebsites\.net(:\d+)?$/.test(host)) return 'WEBSITE_HOSTNAME';
  return undefined;
}

export function isTruthy(value: string | undefined): boolean {
  return /^(true|1|yes)$/i.test(value?.trim() ?? '');
}

/** Settings listing URLs, split the same way readAuthConfig splits them. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,\s]+/)
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * Throws when a development-only auth setup (auth disabled, or the local issuer on this machine)
 * is configured in Azure: that would let anyone who can mint local tokens, or anyone at all, in.
 */
export function assertAuthConfigSafe(env: Env): void {
  const marker = azureMarker(env);
  if (!marker) return;
  const where = `this process runs in Azure (${marker} is set)`;
  if (isTruthy(env['AUTH_DISABLED'])) {
    throw new Error(
      `Refusing to start: AUTH_DISABLED=true is only for local development, but ${where}. ` +
        'Remove AUTH_DISABLED and set AUTH_ISSUERS and AUTH_AUDIENCES for your Entra ID tenant.',
    );
  }
  const local = [...splitList(env['AUTH_ISSUERS']), ...splitList(env['AUTH_OPENID_CONFIG_URL'])].filter(isLocalUrl);
  if (local.length > 0) {
    throw new Error(
      `Refusing to start: the auth settings point at a local issuer (${local.join(', ')}), but ${where}. ` +
        'Set AUTH_ISSUERS (and AUTH_OPENID_CONFIG_URL, if used) to your Entra ID tenant, e.g. ' +
        'https://login.microsoftonline.com/<tenant-id>/v2.0.',
    );
  }
}
