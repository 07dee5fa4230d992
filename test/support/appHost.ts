import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../devhost/azurite';
import { startLocalIssuer, type LocalIssuer } from '../../devhost/issuer';
import { keys, repoRoot, spawnHost, type SpawnedHost } from './devhost';

export const ALL_ROLES = ['BatchEndpoints.Read', 'BatchEndpoints.Invoke', 'BatchEndpoints.Manage'];

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * The real app (this repository's build) running in devhost on its own Azurite, with a local
 * OpenID issuer: what `npm start` runs, isolated per test file.
 */
export class AppUnderTest {
  host!: SpawnedHost;
  azurite!: RunningAzurite;
  issuer!: LocalIssuer;
  blob!: BlobServiceClient;
  env: Record<string, string> = {};

  static async start(extraEnv: Record<string, string> = {}): Promise<AppUnderTest> {
    const app = new AppUnderTest();
    app.azurite = await startAzurite({ location: '', inMemory: true });
    app.issuer = await startLocalIssuer({ dataDir: mkdtempSync(join(tmpdir(), 'issuer-')) });
    app.blob = BlobServiceClient.fromConnectionString(app.azurite.connectionString);
    app.env = {
      AUTH_ISSUERS: app.issuer.issuer,
      AUTH_AUDIENCES: app.issuer.audience,
      MINI_BATCH_RETRY_DELAY_MS: '100',
      JOB_PROGRESS_INTERVAL_MS: '200',
      SCORING_WORK_DIR: mkdtempSync(join(tmpdir(), 'scoring-')),
      ...extraEnv,
    };
    await app.startHost();
    return app;
  }

  async startHost(): Promise<void> {
    this.host = await spawnHost({ appDir: repoRoot, connectionString: this.azurite.connectionString, env: this.env });
  }

  async stop(): Promise<void> {
    await this.host?.stop();
    await this.issuer?.stop();
    await this.azurite?.stop();
  }

  token(roles: string[] = ALL_ROLES, name = 'test user'): Promise<string> {
    return this.issuer.signToken({ roles, name });
  }

  async api(method: string, path: string, body?: unknown, options: { roles?: string[]; headers?: Record<string, string>; token?: string | null } = {}): Promise<ApiResponse> {
    const token = options.token === null ? undefined : (options.token ?? (await this.token(options.roles)));
    const res = await fetch(`${this.host.url}/api/${path}`, {
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

  workspace(): ContainerClient {
    return this.blob.getContainerClient('workspaceblobstore');
  }

  /** Uploads a local folder (or given files) under `prefix` in the workspace datastore. */
  async upload(prefix: string, folder: string, only?: (name: string) => boolean): Promise<string[]> {
    const container = this.workspace();
    await container.createIfNotExists();
    const names: string[] = [];
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
    for (const file of walk(folder)) {
      const name = relative(folder, file).split('\\').join('/');
      if (only && !only(name)) continue;
      const data = readFileSync(file);
      await container.getBlockBlobClient(`${prefix}/${name}`).upload(data, data.length);
      names.push(name);
    }
    return names;
  }

  async uploadText(name: string, text: string | Buffer): Promise<void> {
    const container = this.workspace();
    await container.createIfNotExists();
    await container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
  }

  /** Polls a job until it is final (the status URL stops answering 202). */
  async waitForJob(endpoint: string, jobId: string, timeoutMs = 40_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.api('GET', `batchEndpoints/${endpoint}/jobs/${jobId}`);
      if (res.status !== 202) return res.body;
      if (Date.now() > deadline) {
        // What the first chunk was doing helps more than a bare timeout.
        const chunk = await fetch(`${this.host.url}/runtime/webhooks/durabletask/instances/${jobId}-chunk-0?showHistory=true&code=${keys.masterKey}`).then((r) => r.text());
        console.error(`job ${jobId}, first chunk's status and history: ${chunk}`);
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body?.properties?.status} after ${timeoutMs} ms; host output:\n${this.host.output().split("\n").filter((l) => !l.includes("jobs-get")).slice(-60).join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The job resource (GET), whatever its status. */
  async job(endpoint: string, jobId: string): Promise<any> {
    const res = await this.api('GET', `batchEndpoints/${endpoint}/jobs/${jobId}`);
    if (res.status !== 200 && res.status !== 202) throw new Error(`GET job ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
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
      await new Promise((r) => setTimeout(r, intervalMs));
    }
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
    const ok = (r: ApiResponse, what: string) => {
      if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    ok(await this.api('PUT', `models/${tag}/versions/1`, { properties: { modelType: options.modelType ?? 'mlflow_model', modelUri: `${ds}/assets/${tag}/model` } }), 'model');
    let codeConfiguration: unknown;
    if (options.codeFolder) {
      await this.upload(`assets/${tag}/code`, options.codeFolder);
      ok(await this.api('PUT', `codes/${tag}/versions/1`, { properties: { codeUri: `${ds}/assets/${tag}/code` } }), 'code');
      codeConfiguration = { codeId: `azureml:${tag}:1`, scoringScript: options.scoringScript ?? 'score.js' };
    }
    const endpoint = await this.api('GET', `batchEndpoints/${options.endpoint}`);
    if (endpoint.status === 404) ok(await this.api('PUT', `batchEndpoints/${options.endpoint}`, { properties: {} }), 'endpoint');
    ok(
      await this.api('PUT', `batchEndpoints/${options.endpoint}/deployments/${options.deployment}`, {
        properties: { model: `azureml:${tag}:1`, ...(codeConfiguration ? { codeConfiguration } : {}), ...options.settings },
      }),
      'deployment',
    );
    ok(await this.api('PATCH', `batchEndpoints/${options.endpoint}`, { properties: { defaults: { deploymentName: options.deployment } } }), 'default');
  }

  /** Invokes an endpoint over a datastore folder; returns the response. */
  invoke(endpoint: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.api('POST', `batchEndpoints/${endpoint}/jobs`, { properties: body }, { headers });
  }
}

export const folderInput = (path: string) => ({ InputData: { data: { JobInputType: 'UriFolder', Uri: `azureml://datastores/workspaceblobstore/paths/${path}/` } } });
export const samplesDir = join(repoRoot, 'samples', 'iris');
