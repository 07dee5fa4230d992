/** Who made a request, as resources and jobs record it (createdBy, lastModifiedBy). `oid` + `tid` identify the caller (names can change). */
export interface Caller {
  oid: string;
  tid: string;
  /** Display name for users; for apps the app's display name or client id (azp / appid). */
  name: string;
}

/** The caller of a validated token: who, and what the token allows. */
export interface TokenCaller extends Caller {
  roles: string[];
  kind: 'user' | 'app';
}

type Claims = Record<string, unknown>;

function text(claims: Claims, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * App-only tokens (client credentials, managed identities) carry `idtyp: app` when that optional
 * claim is on; otherwise they are recognised by having no `scp` and `sub` equal to `oid`
 * (user tokens have a pairwise `sub`).
 */
function kindOf(claims: Claims): 'user' | 'app' {
  const idtyp = text(claims, 'idtyp');
  if (idtyp === 'app' || idtyp === 'user') return idtyp;
  if (text(claims, 'scp')) return 'user';
  return text(claims, 'sub') !== undefined && text(claims, 'sub') === text(claims, 'oid') ? 'app' : 'user';
}

/** Returns the caller, or the name of the missing identity claim. */
export function callerFromClaims(claims: Claims): TokenCaller | { missing: string } {
  const oid = text(claims, 'oid');
  if (!oid) return { missing: 'oid' };
  const tid = text(claims, 'tid');
  if (!tid) return { missing: 'tid' };
  const rawRoles = claims['roles'];
  const roles = Array.isArray(rawRoles) ? rawRoles.filter((r): r is string => typeof r === 'string') : [];
  const name =
    text(claims, 'name') ??
    text(claims, 'preferred_username') ??
    text(claims, 'upn') ??
    text(claims, 'app_displayname') ??
    text(claims, 'azp') ??
    text(claims, 'appid') ??
    oid;
  return { oid, tid, name, roles, kind: kindOf(claims) };
}
