// Every app setting, parsed once (zod) the first time the app needs one. The only reader of
// process.env in functions/, orchestrations/, lib/ and app/: lib gets the typed values injected.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readAuthConfig, type AuthConfig } from '../lib/auth/config';
import { DIRECT_OUTPUT_BLOCKS, MAX_COMMITTED_BLOCKS } from '../lib/output/parts';
import { parseFunctionTimeout, type FunctionTimeout } from '../lib/registry/functionTimeout';
import { azureMarker, splitList } from '../lib/auth/safety';
import type { StorageConnection } from '../lib/storage/clients';
import type { StudioSettings } from '../lib/studio/studioConfig';

type Env = Record<string, string | undefined>;

/** The typed settings, grouped by who uses them. */
export interface Settings {
  /** `AzureWebJobsStorage`: a connection string, or identity-based service URIs. */
  storage: StorageConnection;
  auth: AuthConfig;
  tables: { registry: string; jobs: string; miniBatches: string };
  /** The container behind the built-in `workspaceblobstore` datastore. */
  workspaceBlobContainer: string;
  /** Jobs' plans and output parts, deleted when a job ends. */
  jobPlansContainer: string;
  jobs: {
    chunkSize: number;
    retryDelayMs: number;
    progressIntervalMs: number;
    downloadConcurrency: number;
    directOutputBlocks: number;
    settleGraceMs: number;
  };
  outputServeMaxBytes: number;
  /** Most milliseconds an HTTP request waits on storage, retries included (then 503). */
  storageRequestDeadlineMs: number;
  /** Blob drops: folders land in the inbox, results go to the outbox. */
  drops: { inbox: string; outbox: string };
  scoring: { maxWorkers?: number; idleTimeoutMs: number; workDir: string; onnxIntraOpThreads: number; prewarmDeployments: number };
  studio: StudioSettings;
  /** The host's functionTimeout (undefined: none); mini-batch timeouts must be shorter. */
  functionTimeout?: FunctionTimeout;
}

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const TABLE_NAME = z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a table name: 3 to 63 letters and digits, starting with a letter');
const CONTAINER_NAME = z
  .string()
  .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a container name: 3 to 63 lower-case letters, digits and single hyphens');
const ANY = z.string();
const URL_TEXT = z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL');

interface Definition<T> {
  /** What the README shows as the default. */
  default: string;
  description: string;
  /** Parses a value that is set (not empty). */
  schema: z.ZodType<T, string>;
  /** The value when unset or empty. */
  fallback: T;
}

const setting = <T>(schema: z.ZodType<T, string>, fallback: T, shown: string, description: string): Definition<T> => ({
  schema,
  fallback,
  default: shown,
  description,
});
const STORAGE = 'AzureWebJobsStorage';
/** The workspace container when `WORKSPACE_BLOB_CONTAINER` is not set (scripts and tests name it too). */
export const DEFAULT_WORKSPACE_BLOB_CONTAINER = 'workspaceblobstore';

const DEFINITIONS = {
  [STORAGE]: setting(ANY, undefined as string | undefined, '', 'storage connection string (Azurite: `UseDevelopmentStorage=true`); or the identity-based settings below'),
  [`${STORAGE}__blobServiceUri`]: setting(URL_TEXT, undefined as string | undefined, '', 'identity-based storage: the blob service URI'),
  [`${STORAGE}__queueServiceUri`]: setting(URL_TEXT, undefined as string | undefined, '', 'identity-based storage: the queue service URI'),
  [`${STORAGE}__tableServiceUri`]: setting(URL_TEXT, undefined as string | undefined, '', 'identity-based storage: the table service URI'),
  [`${STORAGE}__accountName`]: setting(ANY, undefined as string | undefined, '', 'identity-based storage: the account name, for the three URIs not set'),
  [`${STORAGE}__clientId`]: setting(ANY, undefined as string | undefined, '', 'identity-based storage: client id of a user-assigned identity'),
  AUTH_ISSUERS: setting(ANY, undefined as string | undefined, '', 'exact token issuers accepted, comma-separated (required unless `AUTH_DISABLED`)'),
  AUTH_AUDIENCES: setting(ANY, undefined as string | undefined, '', 'exact token audiences accepted, comma-separated (required unless `AUTH_DISABLED`)'),
  AUTH_OPENID_CONFIG_URL: setting(ANY, undefined as string | undefined, '', "one OpenID metadata URL for all issuers (default: each issuer's own)"),
  AUTH_CLOCK_SKEW_SECONDS: setting(ANY, undefined as string | undefined, '300', 'clock skew allowed on token times, 0 to 3600'),
  AUTH_DISABLED: setting(ANY, undefined as string | undefined, 'false', 'local development only: no tokens, every caller has every role (refused in Azure)'),
  JOB_CHUNK_SIZE: setting(wholeNumber(1, MAX_COMMITTED_BLOCKS), 500, '500', `mini-batches per sub-orchestration (and per plan blob; at most ${MAX_COMMITTED_BLOCKS})`),
  MINI_BATCH_RETRY_DELAY_MS: setting(wholeNumber(1), 1000, '1000', 'wait before retrying a failed mini-batch'),
  JOB_PROGRESS_INTERVAL_MS: setting(wholeNumber(1), 2000, '2000', "how often a running job's progress is written"),
  DOWNLOAD_CONCURRENCY: setting(wholeNumber(1), 8, '8', 'files of one mini-batch downloaded at once'),
  SCORING_MAX_WORKERS: setting(wholeNumber(1), undefined as number | undefined, 'cores', 'scoring worker threads per deployment'),
  SCORING_IDLE_TIMEOUT_MS: setting(wholeNumber(1), 300_000, '300000', 'how long idle scoring workers stay warm'),
  SCORING_WORK_DIR: setting(
    ANY,
    undefined as string | undefined,
    '`<tmp>/batch-endpoints/<app>`',
    "local copies of models, code and mini-batch inputs; by default one folder per app (`<app>`: a hash of its storage account and folder)",
  ),
  SCORING_PREWARM_DEPLOYMENTS: setting(
    wholeNumber(0),
    2,
    '2',
    "deployments whose scoring workers start ahead of their first job (each one created or updated here, and at start the endpoints' defaults last changed), at most this many at once; 0: none",
  ),
  ORT_INTRA_OP_THREADS: setting(wholeNumber(1), 1, '1', 'ONNX Runtime threads per session (workers already use every core)'),
  REGISTRY_TABLE: setting(TABLE_NAME, 'registry', '`registry`', 'table of endpoints, deployments, assets and datastores'),
  JOBS_TABLE: setting(TABLE_NAME, 'jobs', '`jobs`', 'table of jobs and invoke idempotency keys'),
  MINIBATCHES_TABLE: setting(TABLE_NAME, 'minibatches', '`minibatches`', "table of jobs' mini-batches"),
  WORKSPACE_BLOB_CONTAINER: setting(CONTAINER_NAME, DEFAULT_WORKSPACE_BLOB_CONTAINER, '`workspaceblobstore`', 'the container behind the `workspaceblobstore` datastore'),
  JOB_PLANS_CONTAINER: setting(CONTAINER_NAME, 'batch-job-plans', '`batch-job-plans`', "jobs' plans and output parts, deleted when a job ends"),
  OUTPUT_DIRECT_BLOCKS: setting(
    wholeNumber(1, DIRECT_OUTPUT_BLOCKS),
    DIRECT_OUTPUT_BLOCKS,
    String(DIRECT_OUTPUT_BLOCKS),
    'mini-batches whose output blocks go straight to the output blob (lower only to test the part path)',
  ),
  JOB_SETTLE_GRACE_MS: setting(
    wholeNumber(0),
    60_000,
    '60000',
    'how long after its orchestration ended (terminated or failed) a job not yet final is ended when read',
  ),
  OUTPUT_SERVE_MAX_BYTES: setting(wholeNumber(1), 100 * 1024 * 1024, String(100 * 1024 * 1024), 'most bytes the output route returns per request'),
  STORAGE_REQUEST_DEADLINE_MS: setting(
    wholeNumber(100, 200_000),
    10_000,
    '10000',
    'most time an API request waits on storage, retries included; then it answers 503 with Retry-After',
  ),
  BLOB_DROP_INBOX_CONTAINER: setting(CONTAINER_NAME, 'batch-inbox', '`batch-inbox`', 'blob drops: `<endpoint>/<drop>/_SUCCESS` or `<endpoint>/<file>` here starts a job'),
  BLOB_DROP_OUTBOX_CONTAINER: setting(CONTAINER_NAME, 'batch-outbox', '`batch-outbox`', "blob drops: default output and `_result.json` at `<endpoint>/<drop>/`"),
  WEBSITE_HOSTNAME: setting(ANY, 'localhost:7071', '`localhost:7071`', "the app's host name (set by Azure and by devhost); links in drop results"),
  STUDIO_CLIENT_ID: setting(
    ANY,
    undefined as string | undefined,
    'none',
    "the studio's Entra app registration (single-page application) for MSAL sign-in in Azure (`docs/studio.md`)",
  ),
  STUDIO_AUTHORITY: setting(URL_TEXT, undefined as string | undefined, 'from `AUTH_ISSUERS`', "the studio's MSAL authority (`https://login.microsoftonline.com/<tenant>`)"),
  STUDIO_API_SCOPE: setting(ANY, undefined as string | undefined, '`<AUTH_AUDIENCES>/.default`', 'the API scopes the studio asks for, comma-separated'),
  LOCAL_ISSUER_DIR: setting(
    ANY,
    undefined as string | undefined,
    '`.devhost/issuer`',
    "where the studio's local sign-in finds the local issuer's keys (local development only, never used in Azure)",
  ),
} satisfies Record<string, Definition<unknown>>;

type Name = keyof typeof DEFINITIONS;
type Raw = { [K in Name]: (typeof DEFINITIONS)[K]['fallback'] };

/** One row per setting the app reads: the README's table is checked against it (test/app/settings.test.ts). */
export const SETTINGS_TABLE: ReadonlyArray<{ name: string; default: string; description: string }> = Object.entries(DEFINITIONS).map(
  ([name, d]) => ({ name, default: d.default, description: d.description }),
);

/** Thrown for a setting whose value cannot be used: names the setting, the value and what it must be. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'SettingError';
  }
}

function parseRaw(env: Env): Raw {
  const raw: Partial<Record<Name, unknown>> = {};
  for (const name of Object.keys(DEFINITIONS) as Name[]) {
    const definition: Definition<unknown> = DEFINITIONS[name];
    const text = env[name]?.trim();
    if (!text) {
      raw[name] = definition.fallback;
      continue;
    }
    const result = definition.schema.safeParse(text);
    if (!result.success) {
      const why = result.error.issues.map((i) => i.message).join('; ');
      throw new SettingError(name, `App setting ${name}='${text}' is not valid: ${why}.`);
    }
    raw[name] = result.data;
  }
  return raw as Raw;
}

/** The storage account the app uses, the way the Functions host reads `AzureWebJobsStorage`. */
function storageOf(raw: Raw): StorageConnection {
  const connectionString = raw[STORAGE];
  if (connectionString) return { connectionString };
  const account = raw[`${STORAGE}__accountName`];
  const uri = (service: string, set: string | undefined) => set ?? (account ? `https://${account}.${service}.core.windows.net` : undefined);
  const blobServiceUri = uri('blob', raw[`${STORAGE}__blobServiceUri`]);
  const queueServiceUri = uri('queue', raw[`${STORAGE}__queueServiceUri`]);
  const tableServiceUri = uri('table', raw[`${STORAGE}__tableServiceUri`]);
  if (!blobServiceUri || !queueServiceUri || !tableServiceUri) {
    throw new SettingError(
      STORAGE,
      `Storage setting '${STORAGE}' is missing: set '${STORAGE}' to a connection string, or ` +
        `'${STORAGE}__blobServiceUri', '${STORAGE}__queueServiceUri' and '${STORAGE}__tableServiceUri'.`,
    );
  }
  const clientId = raw[`${STORAGE}__clientId`];
  return { blobServiceUri, queueServiceUri, tableServiceUri, ...(clientId ? { clientId } : {}) };
}

/**
 * Parses every setting in `env`; throws a SettingError naming the first bad one. `env` may hold
 * other variables: the auth check also reads the WEBSITE_* markers of an Azure host.
 */
export function loadSettings(env: Env): Settings {
  const raw = parseRaw(env);
  const storage = storageOf(raw);
  return {
    storage,
    // lib/auth owns the auth rules (and their messages); it is handed the same, already trimmed, text.
    auth: readAuthConfig(env),
    tables: { registry: raw.REGISTRY_TABLE, jobs: raw.JOBS_TABLE, miniBatches: raw.MINIBATCHES_TABLE },
    workspaceBlobContainer: raw.WORKSPACE_BLOB_CONTAINER,
    jobPlansContainer: raw.JOB_PLANS_CONTAINER,
    jobs: {
      chunkSize: raw.JOB_CHUNK_SIZE,
      retryDelayMs: raw.MINI_BATCH_RETRY_DELAY_MS,
      progressIntervalMs: raw.JOB_PROGRESS_INTERVAL_MS,
      downloadConcurrency: raw.DOWNLOAD_CONCURRENCY,
      directOutputBlocks: raw.OUTPUT_DIRECT_BLOCKS,
      settleGraceMs: raw.JOB_SETTLE_GRACE_MS,
    },
    outputServeMaxBytes: raw.OUTPUT_SERVE_MAX_BYTES,
    storageRequestDeadlineMs: raw.STORAGE_REQUEST_DEADLINE_MS,
    drops: { inbox: raw.BLOB_DROP_INBOX_CONTAINER, outbox: raw.BLOB_DROP_OUTBOX_CONTAINER },
    scoring: {
      ...(raw.SCORING_MAX_WORKERS === undefined ? {} : { maxWorkers: raw.SCORING_MAX_WORKERS }),
      idleTimeoutMs: raw.SCORING_IDLE_TIMEOUT_MS,
      workDir: raw.SCORING_WORK_DIR ?? defaultWorkDir(storage),
      onnxIntraOpThreads: raw.ORT_INTRA_OP_THREADS,
      prewarmDeployments: raw.SCORING_PREWARM_DEPLOYMENTS,
    },
    studio: {
      ...(raw.STUDIO_CLIENT_ID ? { clientId: raw.STUDIO_CLIENT_ID } : {}),
      ...(raw.STUDIO_AUTHORITY ? { authority: raw.STUDIO_AUTHORITY } : {}),
      apiScopes: splitList(raw.STUDIO_API_SCOPE),
      ...(raw.LOCAL_ISSUER_DIR ? { localIssuerDir: raw.LOCAL_ISSUER_DIR } : {}),
      onAzure: azureMarker(env) !== undefined,
    },
    ...withFunctionTimeout(functionTimeoutOf(env)),
  };
}

const withFunctionTimeout = (t: FunctionTimeout | undefined) => (t ? { functionTimeout: t } : {});

/** The app's root (where host.json is): two levels above dist/app/, one above app/ when run from source. */
function hostJsonPath(): string | undefined {
  return [resolve(__dirname, '..', 'host.json'), resolve(__dirname, '..', '..', 'host.json')].find((p) => existsSync(p));
}

/**
 * The host's functionTimeout as the real host reads it: the app setting
 * `AzureFunctionsJobHost__functionTimeout` overrides host.json's `functionTimeout`.
 */
export function functionTimeoutOf(env: Env, hostJson = hostJsonPath()): FunctionTimeout | undefined {
  const override = env.AzureFunctionsJobHost__functionTimeout;
  if (override !== undefined && override.trim() !== '') return parseFunctionTimeout(override, 'app setting AzureFunctionsJobHost__functionTimeout');
  if (!hostJson) return undefined;
  const value = (JSON.parse(readFileSync(hostJson, 'utf8')) as { functionTimeout?: unknown }).functionTimeout;
  return typeof value === 'string' ? parseFunctionTimeout(value, 'host.json') : undefined;
}

/**
 * The scoring work folder when `SCORING_WORK_DIR` is not set: `<tmp>/batch-endpoints/<app>`, one
 * per app, so apps on one machine (two checkouts, a test host next to `npm start`) never share
 * model copies or job folders. `<app>` is a hash of the app's storage (the account and endpoints,
 * never a key: rotating one keeps the folder) and of the app's folder.
 */
export function defaultWorkDir(storage: StorageConnection, appRoot: string = resolve(__dirname, '..')): string {
  const where =
    'connectionString' in storage
      ? storage.connectionString
          .split(';')
          .filter((part) => part && !/^\s*(AccountKey|SharedAccessSignature)\s*=/i.test(part))
          .join(';')
      : storage.blobServiceUri;
  const app = createHash('sha256').update(`${where}|${appRoot}`).digest('hex').slice(0, 12);
  return join(tmpdir(), 'batch-endpoints', app);
}

/** https in Azure; plain http for a local host (devhost, `func start`). */
function baseUrlOf(hostname: string): string {
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.test(hostname);
  return `${local ? 'http' : 'https'}://${hostname}`;
}

/**
 * This app's public URL (`https://<WEBSITE_HOSTNAME>`), for links in drop results. Read when used,
 * not at load: a local host (devhost) sets WEBSITE_HOSTNAME once it listens, after loading the app.
 */
export const publicBaseUrl = (): string => baseUrlOf(process.env.WEBSITE_HOSTNAME?.trim() || DEFINITIONS.WEBSITE_HOSTNAME.fallback);

let current: Settings | undefined;

/** This process's settings, parsed from process.env on first use (the app's entry points use it at load). */
export function settings(): Settings {
  current ??= loadSettings(process.env);
  return current;
}
