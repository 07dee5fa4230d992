import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { usageError } from './errors';

/** What `azmlb configure` saves: where the service is and how to get a token for it. */
export interface SavedConfig {
  url?: string;
  /** The API's App ID URI (e.g. `api://<tenant>/batch-endpoints-x`); the token scope is `<it>/.default`. */
  scope?: string;
}

export interface Connection {
  url: string;
  scope?: string;
  /** A token given as it is (`AZMLB_TOKEN`): no credential is asked. */
  token?: string;
  /** The local issuer's folder, for minting a token when the service runs on this machine. */
  issuerDir?: string;
}

type Env = Record<string, string | undefined>;

/** `AZMLB_CONFIG_DIR`, else `~/.azmlb` (like `~/.azure` for az). */
export const configDir = (env: Env): string => env['AZMLB_CONFIG_DIR'] || join(homedir(), '.azmlb');
const configFile = (env: Env) => join(configDir(env), 'config.json');

export function readConfig(env: Env): SavedConfig {
  const file = configFile(env);
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedConfig;
  } catch (err) {
    throw usageError(`The config file ${file} is not valid JSON (${(err as Error).message}); fix it or run 'azmlb configure' again.`);
  }
}

export function writeConfig(env: Env, config: SavedConfig): string {
  const file = configFile(env);
  mkdirSync(configDir(env), { recursive: true });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export const DEFAULT_URL = 'http://localhost:7071';

/** `--url`, else `AZMLB_URL`, else the config file, else the local host `npm start` runs. */
export function resolveConnection(flags: { url?: string; scope?: string }, env: Env): Connection {
  const saved = readConfig(env);
  // Empty means unset, as for the app's settings.
  const url = (flags.url || env['AZMLB_URL'] || saved.url || DEFAULT_URL).replace(/\/+$/, '');
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw usageError(`The service URL '${url}' is not an http(s) URL (from --url, AZMLB_URL or 'azmlb configure').`);
  }
  const scope = flags.scope || env['AZMLB_SCOPE'] || saved.scope;
  return {
    url,
    ...(scope ? { scope } : {}),
    ...(env['AZMLB_TOKEN'] ? { token: env['AZMLB_TOKEN'] } : {}),
    ...(env['LOCAL_ISSUER_DIR'] ? { issuerDir: env['LOCAL_ISSUER_DIR'] } : {}),
  };
}

/** Loopback hosts: the service is `npm start` (or a test's devhost) on this machine. */
export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}
