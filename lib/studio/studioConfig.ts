import type { AuthConfig } from '../auth/config';
import { isLocalUrl } from '../auth/localUrl';

/** The studio's app settings, parsed by app/settings.ts. */
export interface StudioSettings {
  /** `STUDIO_CLIENT_ID`: the SPA app registration MSAL signs in as. */
  clientId?: string;
  /** `STUDIO_AUTHORITY` (default: derived from the first Entra issuer). */
  authority?: string;
  /** `STUDIO_API_SCOPE`, split (default `<first audience>/.default`). */
  apiScopes: string[];
  /** `LOCAL_ISSUER_DIR`: the local issuer's folder (default `<app>/.devhost/issuer`). */
  localIssuerDir?: string;
  /** Whether this process runs on an Azure host (its WEBSITE_* markers are set). */
  onAzure: boolean;
}

/** What the studio needs of the auth settings. */
export type StudioAuth = Pick<AuthConfig, 'issuers' | 'audiences'>;

/** What the page needs to sign in, served at `GET /api/studio/config.json` (nothing secret). */
export type StudioConfig =
  | { signIn: 'local'; roles: string[] }
  | { signIn: 'msal'; clientId: string; authority: string; scopes: string[] }
  | { signIn: 'none'; reason: string };

/**
 * Local sign-in is offered only off Azure and only when every trusted issuer is on this machine:
 * then anyone who can reach the app can already mint tokens with `npm run token`.
 */
export function localSignInAllowed(studio: StudioSettings, auth: StudioAuth): boolean {
  return !studio.onAzure && auth.issuers.length > 0 && auth.issuers.every(isLocalUrl);
}

/** Entra's authority for a v2 (or v1) issuer: `https://login.microsoftonline.com/<tenant>`. */
export function authorityOf(issuer: string): string | undefined {
  const v2 = /^(https:\/\/[^/]+\/[^/]+)\/v2\.0\/?$/.exec(issuer);
  if (v2) return v2[1];
  const v1 = /^https:\/\/sts\.windows\.net\/([^/]+)\/?$/.exec(issuer);
  return v1 ? `https://login.microsoftonline.com/${v1[1]}` : undefined;
}

/**
 * In Azure the page signs in with MSAL (authorization code + PKCE) as the SPA app registration
 * `STUDIO_CLIENT_ID`, asking for `STUDIO_API_SCOPE` (default `<first AUTH_AUDIENCES>/.default`);
 * the authority comes from `STUDIO_AUTHORITY` or the first Entra issuer in AUTH_ISSUERS.
 */
export function studioConfig(studio: StudioSettings, auth: StudioAuth, localRoles: readonly string[]): StudioConfig {
  if (localSignInAllowed(studio, auth)) return { signIn: 'local', roles: [...localRoles] };
  const clientId = studio.clientId;
  if (!clientId) return { signIn: 'none', reason: 'Sign-in is not configured: set STUDIO_CLIENT_ID to the studio app registration (a single-page application) in Entra ID.' };
  const issuer = auth.issuers[0] ?? '';
  const authority = studio.authority || authorityOf(issuer);
  if (!authority) return { signIn: 'none', reason: `Set STUDIO_AUTHORITY: no Entra authority can be derived from AUTH_ISSUERS '${issuer}'.` };
  const audience = auth.audiences[0] ?? '';
  const scopes = studio.apiScopes;
  return { signIn: 'msal', clientId, authority, scopes: scopes.length ? [...scopes] : [`${audience}/.default`] };
}

/**
 * The page's Content-Security-Policy: its own scripts and the API only, plus the Entra authority
 * MSAL talks to (metadata, token) and frames (silent renewal). Fluent UI injects its styles at
 * run time, hence 'unsafe-inline' for styles (never for scripts).
 */
export function contentSecurityPolicy(config: StudioConfig): string {
  const authority = config.signIn === 'msal' && URL.canParse(config.authority) ? ` ${new URL(config.authority).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${authority}`,
    `frame-src${authority || " 'none'"}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join('; ');
}
