import { isLocalUrl } from '../auth/localUrl';
import { azureMarker, splitList } from '../auth/safety';

type Env = Record<string, string | undefined>;

/** What the page needs to sign in, served at `GET /api/studio/config.json` (nothing secret). */
export type StudioConfig =
  | { signIn: 'local'; roles: string[] }
  | { signIn: 'msal'; clientId: string; authority: string; scopes: string[] }
  | { signIn: 'none'; reason: string };

/**
 * Local sign-in is offered only off Azure and only when every trusted issuer is on this machine:
 * then anyone who can reach the app can already mint tokens with `npm run token`.
 */
export function localSignInAllowed(env: Env): boolean {
  const issuers = splitList(env['AUTH_ISSUERS']);
  return !azureMarker(env) && issuers.length > 0 && issuers.every(isLocalUrl);
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
export function studioConfig(env: Env, localRoles: readonly string[]): StudioConfig {
  if (localSignInAllowed(env)) return { signIn: 'local', roles: [...localRoles] };
  const clientId = env['STUDIO_CLIENT_ID']?.trim();
  if (!clientId) return { signIn: 'none', reason: 'Sign-in is not configured: set STUDIO_CLIENT_ID to the studio app registration (a single-page application) in Entra ID.' };
  const issuer = splitList(env['AUTH_ISSUERS'])[0] ?? '';
  const authority = env['STUDIO_AUTHORITY']?.trim() || authorityOf(issuer);
  if (!authority) return { signIn: 'none', reason: `Set STUDIO_AUTHORITY: no Entra authority can be derived from AUTH_ISSUERS '${issuer}'.` };
  const audience = splitList(env['AUTH_AUDIENCES'])[0] ?? '';
  const scopes = splitList(env['STUDIO_API_SCOPE']);
  return { signIn: 'msal', clientId, authority, scopes: scopes.length ? scopes : [`${audience}/.default`] };
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
