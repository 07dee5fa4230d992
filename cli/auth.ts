import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isLocalUrl, type Connection } from './config';
import { CliError } from './errors';

/** The app roles (lib/auth/roles.ts spells them the same; the CLI only names them). */
export type Role = 'BatchEndpoints.Read' | 'BatchEndpoints.Invoke' | 'BatchEndpoints.Manage';

export interface TokenSource {
  /** A bearer token carrying `roles` (local issuer), or the caller's own token (Entra ID). */
  token(roles: Role[]): Promise<string>;
}

type Debug = (line: string) => void;

/**
 * Tokens: `AZMLB_TOKEN` as given; on a local URL the local issuer (the app's
 * `POST /api/studio/local-token`, else the issuer's key on disk as `npm run token` reads it),
 * with only the roles the command needs; otherwise `DefaultAzureCredential` (az login, managed
 * identity, service principal variables) for `<scope>/.default`.
 */
export function tokenSource(connection: Connection, debug: Debug): TokenSource {
  if (connection.token) return { token: async () => connection.token! };
  if (isLocalUrl(connection.url)) return new LocalTokens(connection, debug);
  return new EntraTokens(connection);
}

class LocalTokens implements TokenSource {
  private readonly cache = new Map<string, Promise<string>>();
  constructor(
    private readonly connection: Connection,
    private readonly debug: Debug,
  ) {}

  token(roles: Role[]): Promise<string> {
    const key = [...roles].sort().join(',');
    if (!this.cache.has(key)) this.cache.set(key, this.mint(roles));
    return this.cache.get(key)!;
  }

  private async mint(roles: Role[]): Promise<string> {
    const url = `${this.connection.url}/api/studio/local-token`;
    this.debug(`POST ${url} (roles ${roles.join(',')})`);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ roles }) }).catch(
      (err: Error) => {
        throw new CliError(`Cannot reach ${this.connection.url}: ${err.message}. Is the app running (npm start)?`);
      },
    );
    if (res.ok) return ((await res.json()) as { accessToken: string }).accessToken;
    this.debug(`local-token answered ${res.status}; signing with the local issuer's key on disk`);
    if (res.status !== 404) await res.body?.cancel();
    return this.fromDisk(roles);
  }

  /** What `npm run token` does: sign with the key `npm start`'s issuer keeps in `.devhost/issuer`. */
  private async fromDisk(roles: Role[]): Promise<string> {
    const candidates = [this.connection.issuerDir, join(process.cwd(), '.devhost', 'issuer'), resolve(__dirname, '..', '..', '.devhost', 'issuer')];
    const dataDir = candidates.find((d): d is string => !!d && existsSync(join(d, 'issuer.json')));
    if (!dataDir) {
      throw new CliError(
        `No local token: ${this.connection.url} has no local sign-in route and no local issuer was found ` +
          `(looked in ${candidates.filter(Boolean).join(', ')}). Run the app with 'npm start', set LOCAL_ISSUER_DIR, or pass a token in AZMLB_TOKEN.`,
      );
    }
    // Loaded only here: the local issuer is development tooling.
    const issuer = await import('../devhost/issuer/index.js');
    return issuer.signToken({ dataDir, roles, name: 'azmlb' });
  }
}

class EntraTokens implements TokenSource {
  private credential: Promise<import('@azure/identity').TokenCredential> | undefined;
  constructor(private readonly connection: Connection) {}

  async token(): Promise<string> {
    const scope = this.connection.scope;
    if (!scope) {
      throw new CliError(
        `No token scope for ${this.connection.url}: set the API's App ID URI with 'azmlb configure --scope api://...' ` +
          `or AZMLB_SCOPE (azd: API_APP_ID_URI).`,
      );
    }
    this.credential ??= import('@azure/identity').then((m) => new m.DefaultAzureCredential());
    const credential = await this.credential;
    try {
      const token = await credential.getToken(scope.endsWith('/.default') ? scope : `${scope.replace(/\/+$/, '')}/.default`);
      if (!token) throw new Error('no token was returned');
      return token.token;
    } catch (err) {
      throw new CliError(`Could not get a token for ${scope} (DefaultAzureCredential: az login, managed identity or AZURE_* variables): ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
