import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { ALL_ROLES } from '../../lib/auth/roles';
import { DEFAULT_WORKSPACE_BLOB_CONTAINER } from '../../app/settings';
import { mapLimited } from '../../lib/util/mapLimited';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

export interface AppClientOptions {
  /** The host's origin, e.g. http://127.0.0.1:7071. */
  url: string;
  /** The app's own storage account (its workspace datastore lives there). */
  blob: BlobServiceClient;
  /** The workspace datastore's container (the WORKSPACE_BLOB_CONTAINER setting; default workspaceblobstore). */
  workspaceContainer?: string;
  /** A bearer token with these roles (a local issuer's), or undefined to call without one. */
  token?: (roles: readonly string[], name: string) => Promise<string | undefined>;
  name?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The app's REST API as the tests, the benchmarks and `npm start` call it: authenticated JSON
 * calls, deploy and invoke, waiting for a job, and the workspace datastore's blobs.
 */
export class AppClient {
  constructor(protected readonly options: AppClientOptions) {}

  get blob(): BlobServiceClient {
    return this.options.blob;
  }

  async token(roles: readonly string[] = ALL_ROLES, name = this.options.name ?? 'test user'): Promise<string> {
    const token = await this.options.token?.(roles, name);
    if (!token) throw new Error('this client has no token issuer');
    return token;
  }

  /** One call to `/api/<path>`; any status is returned (`apiOk` throws on errors). */
  async api(method: string, path: string, body?: unknown, options: { roles?: readonly string[]; headers?: Record<string, string>; token?: string | null } = {}): Promise<ApiResponse> {
    const token = options.token === null ? undefined : (options.token ?? (await this.options.token?.(options.roles ?? ALL_ROLES, this.options.name ?? 'test user')));
    const res = await fetch(`${this.options.url}/api/${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** Like `api`, but a 4xx/5xx answer (other than those in `accept`) throws with the answer in the message. */
  async apiOk(method: string, path: string, body?: unknown, accept: number[] = []): Promise<ApiResponse> {
    const res = await this.api(method, path, body);
    if (res.status >= 400 && !accept.includes(res.status)) throw new Error(`${method} /api/${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res;
  }

  /** Invokes an endpoint with the async pattern (`Prefer: respond-async`: 202 + Location); returns the response. */
  invoke(endpoint: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.api('POST', `batchEndpoints/${endpoint}/jobs`, { properties: body }, { headers: { prefer: 'respond-async', ...headers } });
  }

  /** The job resource (GET), whatever its status. */
  async job(endpoint: string, jobId: string): Promise<any> {
    const res = await this.api('GET', `batchEndpoints/${endpoint}/jobs/${jobId}`);
    if (res.status !== 200 && res.status !== 202) throw new Error(`GET job ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * Polls a job until it is final (its URL stops answering 202); returns the job. Gives up only
   * when the job stops moving: neither its status nor its progress changed for `stallMs`. A busy
   * machine makes a job slow, not still, so this tells a stuck job from a slow one.
   */
  async waitForJob(endpoint: string, jobId: string, stallMs = 40_000, intervalMs = 100): Promise<any> {
    let seen = '';
    let movedAt = Date.now();
    for (;;) {
      const res = await this.api('GET', `batchEndpoints/${endpoint}/jobs/${jobId}`);
      if (res.status !== 202) return res.body;
      const state = JSON.stringify([res.body?.properties?.status, res.body?.properties?.progress]);
      if (state !== seen) [seen, movedAt] = [state, Date.now()];
      if (Date.now() - movedAt > stallMs) throw new Error(`job ${jobId} still ${res.body?.properties?.status}, its progress unchanged for ${stallMs} ms${await this.diagnose(jobId)}`);
      await sleep(intervalMs);
    }
  }

  /** What helps more than a bare timeout (the stack adds the host's view). */
  protected async diagnose(_jobId: string): Promise<string> {
    return '';
  }

  /** Invokes over a workspace folder and waits; returns the final job and the seconds from invoke to final status. */
  async runJob(endpoint: string, inputPath: string, overrides: Record<string, unknown> = {}): Promise<{ job: any; seconds: number; invokedAt: number }> {
    const invokedAt = Date.now();
    const started = performance.now();
    const invoke = await this.invoke(endpoint, { ...folderInput(inputPath), ...overrides });
    if (invoke.status !== 202) throw new Error(`invoke ${endpoint}: ${invoke.status} ${JSON.stringify(invoke.body)}`);
    const job = await this.waitForJob(endpoint, invoke.body.name, Infinity, 50);
    return { job, seconds: (performance.now() - started) / 1000, invokedAt };
  }

  /** The job's per-mini-batch failures (GET .../errors), first page. */
  async jobErrors(endpoint: string, jobId: string): Promise<any[]> {
    const res = await this.api('GET', `batchEndpoints/${endpoint}/jobs/${jobId}/errors`);
    if (res.status !== 200) throw new Error(`GET errors of ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.value;
  }

  /** Polls `probe` until it returns a truthy value (returned), or throws after `timeoutMs`. */
  async waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(intervalMs);
    }
  }

  /** Registers a model (and optionally code) and an endpoint with one deployment, made default. */
  async deploy(options: {
    endpoint: string;
    deployment: string;
    modelFolder: string;
    modelType?: 'mlflow_model' | 'custom_model';
    codeFolder?: string;
    scoringScript?: string;
    settings?: Record<string, unknown>;
  }): Promise<void> {
    const ds = 'azureml://datastores/workspaceblobstore/paths';
    const tag = `${options.endpoint}-${options.deployment}`;
    await this.upload(`assets/${tag}/model`, options.modelFolder);
    await this.apiOk('PUT', `models/${tag}/versions/1`, { properties: { modelType: options.modelType ?? 'mlflow_model', modelUri: `${ds}/assets/${tag}/model` } });
    let codeConfiguration: unknown;
    if (options.codeFolder) {
      await this.upload(`assets/${tag}/code`, options.codeFolder);
      await this.apiOk('PUT', `codes/${tag}/versions/1`, { properties: { codeUri: `${ds}/assets/${tag}/code` } });
      codeConfiguration = { codeId: `azureml:${tag}:1`, scoringScript: options.scoringScript ?? 'score.js' };
    }
    const endpoint = await this.api('GET', `batchEndpoints/${options.endpoint}`);
    if (endpoint.status === 404) await this.apiOk('PUT', `batchEndpoints/${options.endpoint}`, { properties: {} });
    await this.apiOk('PUT', `batchEndpoints/${options.endpoint}/deployments/${options.deployment}`, {
      properties: { model: `azureml:${tag}:1`, ...(codeConfiguration ? { codeConfiguration } : {}), ...options.settings },
    });
    await this.apiOk('PATCH', `batchEndpoints/${options.endpoint}`, { properties: { defaults: { deploymentName: options.deployment } } });
  }

  /** The workspace datastore's container. */
  workspace(): ContainerClient {
    return this.options.blob.getContainerClient(this.options.workspaceContainer ?? DEFAULT_WORKSPACE_BLOB_CONTAINER);
  }

  /** Uploads a local folder (every file, or those `only` accepts) under `prefix` in the workspace datastore; returns the names. */
  async upload(prefix: string, folder: string, only?: (name: string) => boolean): Promise<string[]> {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
    const names = walk(folder)
      .map((file) => relative(folder, file).split('\\').join('/'))
      .filter((name) => !only || only(name));
    await this.uploadMany(names.map((name) => ({ name: `${prefix}/${name}`, data: readFileSync(join(folder, name)) })), 1);
    return names;
  }

  async uploadText(name: string, text: string | Buffer): Promise<void> {
    await this.uploadMany([{ name, data: text }], 1);
  }

  /** Uploads many blobs with bounded concurrency. */
  async uploadMany(files: { name: string; data: Buffer | string }[], concurrency = 32): Promise<void> {
    const container = this.workspace();
    await container.createIfNotExists();
    await mapLimited(files, concurrency, (f) => container.getBlockBlobClient(f.name).upload(f.data, Buffer.byteLength(f.data)));
  }

  /** Names of the blobs under `prefix` in the workspace datastore. */
  async listWorkspaceBlobs(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of this.workspace().listBlobsFlat({ prefix })) names.push(blob.name);
    return names;
  }

  /** The text of a blob in the workspace datastore, or undefined when it does not exist. */
  async readWorkspaceBlob(path: string): Promise<string | undefined> {
    const blob = this.workspace().getBlobClient(path);
    if (!(await blob.exists())) return undefined;
    return (await blob.downloadToBuffer()).toString('utf8');
  }
}

/** An invoke body's input: a folder in the workspace datastore. */
export const folderInput = (path: string) => ({ InputData: { data: { JobInputType: 'UriFolder', Uri: `azureml://datastores/workspaceblobstore/paths/${path}/` } } });
