import { DEFAULT_REALM } from './errors';
import { isLocalUrl } from './localUrl';
import { assertAuthConfigSafe, isTruthy, splitList } from './safety';

export interface AuthConfig {
  /** `AUTH_DISABLED=true`: every request gets a local all-roles caller. Never allowed in Azure. */
  disabled: boolean;
  /** Exact `iss` values accepted (v1 `https://sts.windows.net/{tid}/`, v2 `.../{tid}/v2.0`). */
  issuers: string[];
  /** Exact `aud` values accepted (client id and/or App ID URI). */
  audiences: string[];
  /** One OpenID metadata URL for all issuers; when unset each issuer's own is derived. */
  openIdConfigUrl?: string;
  clockSkewSeconds: number;
  realm: string;
}

type Env = Record<string, string | undefined>;

export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

/** `<issuer>/.well-known/openid-configuration`, as OpenID Connect Discovery §4 defines it. */
export function openIdConfigUrlFor(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** Metadata and keys must come over TLS, except from an issuer on this machine. */
export function assertKeySourceUrl(value: string, setting: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${setting}: '${value}' is not a URL.`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLocalUrl(value))) return;
  throw new Error(`${setting}: '${value}' must use https:// (http:// is accepted only for a local issuer).`);
}

/**
 * Reads AUTH_* settings. Throws with the setting's name when one is missing or wrong, and
 * (through assertAuthConfigSafe) when a development-only setup is used in Azure.
 */
export function readAuthConfig(env: Env): AuthConfig {
  assertAuthConfigSafe(env);
  const disabled = isTruthy(env['AUTH_DISABLED']);
  const issuers = splitList(env['AUTH_ISSUERS']);
  const audiences = splitList(env['AUTH_AUDIENCES']);
  const openIdConfigUrl = env['AUTH_OPENID_CONFIG_URL']?.trim() || undefined;
  const skewText = env['AUTH_CLOCK_SKEW_SECONDS']?.trim();
  const clockSkewSeconds = skewText ? Number(skewText) : DEFAULT_CLOCK_SKEW_SECONDS;
  if (!Number.isInteger(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > 3600) {
    throw new Error(`AUTH_CLOCK_SKEW_SECONDS must be a whole number of seconds from 0 to 3600, got '${skewText}'.`);
  }
  const config: AuthConfig = { disabled, issuers, audiences, clockSkewSeconds, realm: DEFAULT_REALM };
  if (openIdConfigUrl) config.openIdConfigUrl = openIdConfigUrl;
  if (disabled) return config;

  if (issuers.length === 0) {
    throw new Error(
      'AUTH_ISSUERS is required (comma-separated exact token issuers, e.g. ' +
        'https://login.microsoftonline.com/<tenant-id>/v2.0), unless AUTH_DISABLED=true for local development.',
    );
  }
  if (audiences.length === 0) {
    throw new Error('AUTH_AUDIENCES is required (comma-separated: the API client id and/or its App ID URI).');
  }
  if (openIdConfigUrl) assertKeySourceUrl(openIdConfigUrl, 'AUTH_OPENID_CONFIG_URL');
  else for (const issuer of issuers) assertKeySourceUrl(openIdConfigUrlFor(issuer), 'AUTH_ISSUERS');
  return config;
}
