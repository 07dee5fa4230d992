import { join } from 'node:path';
import { ApiError } from '../http/apiError';
import { ALL_ROLES } from '../auth/roles';
import { localSignInAllowed, type StudioAuth, type StudioSettings } from './studioConfig';

export interface LocalToken {
  accessToken: string;
  expiresOn: string;
  roles: string[];
}

const LIFETIME_SECONDS = 3600;

/**
 * Mints a token from the local issuer for the studio running under `npm start` (the same thing
 * `npm run token` does, for the page). Refused unless localSignInAllowed (never in Azure, never
 * with a non-local issuer) and the issuer found in `LOCAL_ISSUER_DIR` (default
 * `<app>/.devhost/issuer`) is one the app trusts.
 */
export async function localToken(studio: StudioSettings, auth: StudioAuth, appRoot: string, requested: unknown): Promise<LocalToken> {
  if (!localSignInAllowed(studio, auth)) throw new ApiError(404, 'NotFound', 'Local sign-in exists only when the app runs with the local token issuer.');
  const roles = Array.isArray(requested) ? requested : [];
  const unknown = roles.filter((r) => typeof r !== 'string' || !(ALL_ROLES as readonly string[]).includes(r));
  if (!Array.isArray(requested) || unknown.length > 0) {
    throw new ApiError(400, 'InvalidRoles', `roles must be a list of app roles from ${ALL_ROLES.join(', ')}.`, 'roles');
  }
  // Loaded only here: the local issuer is development tooling, never used in Azure.
  const issuerTools = await import('../../devhost/issuer/index.js');
  const dataDir = studio.localIssuerDir || join(appRoot, '.devhost', 'issuer');
  const info = await issuerTools.readIssuerInfo(dataDir);
  if (!info || !auth.issuers.includes(info.issuer)) {
    throw new ApiError(503, 'LocalIssuerNotFound', `No running local issuer that this app trusts was found in ${dataDir}; set LOCAL_ISSUER_DIR.`);
  }
  const accessToken = await issuerTools.signToken({ dataDir, roles: roles as string[], expiresIn: LIFETIME_SECONDS });
  return { accessToken, expiresOn: new Date(Date.now() + LIFETIME_SECONDS * 1000).toISOString(), roles: roles as string[] };
}
