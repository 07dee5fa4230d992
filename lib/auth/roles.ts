import { DEFAULT_REALM, forbidden, type AuthFailure } from './errors';
import type { TokenCaller } from './caller';

export type Permission = 'Read' | 'Invoke' | 'Manage';

export const ROLE_READ = 'BatchEndpoints.Read';
export const ROLE_INVOKE = 'BatchEndpoints.Invoke';
export const ROLE_MANAGE = 'BatchEndpoints.Manage';
export const ALL_ROLES = [ROLE_READ, ROLE_INVOKE, ROLE_MANAGE] as const;

/** The app roles that grant each permission: Manage includes Invoke, Invoke includes Read. */
const GRANTED_BY: Record<Permission, readonly string[]> = {
  Read: [ROLE_READ, ROLE_INVOKE, ROLE_MANAGE],
  Invoke: [ROLE_INVOKE, ROLE_MANAGE],
  Manage: [ROLE_MANAGE],
};

export function hasPermission(caller: TokenCaller, needed: Permission): boolean {
  return GRANTED_BY[needed].some((role) => caller.roles.includes(role));
}

/** `undefined` when the caller may proceed, otherwise a 403 that names the missing role. */
export function requireRole(caller: TokenCaller, needed: Permission, realm = DEFAULT_REALM): AuthFailure | undefined {
  if (hasPermission(caller, needed)) return undefined;
  const role = `BatchEndpoints.${needed}`;
  const alternatives = GRANTED_BY[needed].filter((r) => r !== role);
  const also = alternatives.length ? ` (or ${alternatives.map((r) => `'${r}'`).join(' or ')})` : '';
  return forbidden(
    `The caller '${caller.name}' lacks the app role '${role}'${also} needed for this operation; ` +
      `assign the role to the user or application in Entra ID (with the local issuer of npm start: ` +
      `a new token, \`npm run token -- --roles ${role}\`).`,
    realm,
  );
}
