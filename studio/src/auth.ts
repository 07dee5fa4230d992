import type { PublicClientApplication } from '@azure/msal-browser';

export const ROLES = { Read: 'BatchEndpoints.Read', Invoke: 'BatchEndpoints.Invoke', Manage: 'BatchEndpoints.Manage' } as const;
export type Permission = keyof typeof ROLES;

type StudioConfig =
  | { signIn: 'local'; roles: string[] }
  | { signIn: 'msal'; clientId: string; authority: string; scopes: string[] }
  | { signIn: 'none'; reason: string };

/** Who is signed in, what they may do, and where the API token comes from (kept in memory only). */
export interface Session {
  mode: 'local' | 'msal';
  user: string;
  roles: string[];
  token(): Promise<string>;
  /** Local only: sign in again with other roles, to see the page as a Read or Invoke user. */
  switchRoles?(roles: string[]): Promise<Session>;
  signOut?(): Promise<void>;
}

/** Manage includes Invoke, Invoke includes Read, as the API decides. */
export function can(session: Session, needed: Permission): boolean {
  const granting: Record<Permission, string[]> = {
    Read: [ROLES.Read, ROLES.Invoke, ROLES.Manage],
    Invoke: [ROLES.Invoke, ROLES.Manage],
    Manage: [ROLES.Manage],
  };
  return granting[needed].some((r) => session.roles.includes(r));
}

function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

const rolesOf = (token: string): string[] => (claimsOf(token)['roles'] as string[] | undefined) ?? [];

/** A token of the local issuer for these roles (POST /api/studio/local-token). */
async function localToken(roles: string[]): Promise<{ token: string; expires: number }> {
  const res = await fetch('/api/studio/local-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ roles }) });
  const body = await res.json();
  if (!res.ok) throw new Error(`${body.error?.code}: ${body.error?.message}`);
  return { token: body.accessToken as string, expires: Date.parse(body.expiresOn) };
}

async function localSession(roles: string[]): Promise<Session> {
  let current = await localToken(roles);
  return {
    mode: 'local',
    user: String(claimsOf(current.token)['name'] ?? 'Local Developer'),
    roles: rolesOf(current.token),
    async token() {
      // A minute before it expires, a new one (a page left open for hours keeps working).
      if (Date.now() > current.expires - 60_000) current = await localToken(roles);
      return current.token;
    },
    switchRoles: (next) => localSession(next),
  };
}

async function msalSession(config: Extract<StudioConfig, { signIn: 'msal' }>): Promise<Session | undefined> {
  const { PublicClientApplication, InteractionRequiredAuthError } = await import('@azure/msal-browser');
  const pca: PublicClientApplication = new PublicClientApplication({
    auth: { clientId: config.clientId, authority: config.authority, redirectUri: `${window.location.origin}${import.meta.env.BASE_URL}` },
    // Session storage: MSAL's own cache, gone with the tab; tokens never go into URLs or localStorage.
    cache: { cacheLocation: 'sessionStorage' },
  });
  await pca.initialize();
  const redirect = await pca.handleRedirectPromise();
  const account = redirect?.account ?? pca.getAllAccounts()[0];
  if (!account) {
    await pca.loginRedirect({ scopes: config.scopes });
    return undefined;
  }
  pca.setActiveAccount(account);
  const acquire = async (): Promise<string> => {
    try {
      return (await pca.acquireTokenSilent({ scopes: config.scopes, account })).accessToken;
    } catch (err) {
      if (err instanceof InteractionRequiredAuthError) await pca.acquireTokenRedirect({ scopes: config.scopes, account });
      throw err;
    }
  };
  const first = await acquire();
  return {
    mode: 'msal',
    user: account.name ?? account.username,
    roles: rolesOf(first),
    token: acquire,
    signOut: () => pca.logoutRedirect({ account }),
  };
}

/** Signs in as the app's configuration says: the local issuer under `npm start`, Entra ID (MSAL) in Azure. */
export async function signIn(): Promise<Session | undefined> {
  const res = await fetch('/api/studio/config.json');
  if (!res.ok) throw new Error(`The studio's configuration could not be read (${res.status}).`);
  const config = (await res.json()) as StudioConfig;
  if (config.signIn === 'none') throw new Error(config.reason);
  if (config.signIn === 'local') return localSession(config.roles);
  return msalSession(config);
}
