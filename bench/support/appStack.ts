import { mapLimited } from '../../lib/util/mapLimited';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { freePort, startAzurite, type RunningAzurite } from '../../devhost/azurite';
import { startLocalIssuer, type LocalIssuer } from '../../devhost/issuer';

export const repoRoot = resolve(__dirname, '..', '..', '..');

/** Azurite (on disk), a local issuer and the app in devhost as a child process: what `npm start` runs. */
export class BenchStack {
  private constructor(
    readonly azurite: RunningAzurite,
    readonly issuer: LocalIssuer,
    readonly host: ChildProcess,
    readonly url: string,
    readonly blob: BlobServiceClient,
    private readonly dirs: string[],
  ) {}

  static async start(env: Record<string, string> = {}): Promise<BenchStack> {
    const data = mkdtempSync(join(tmpdir(), 'bench-azurite-'));
    const issuerDir = mkdtempSync(join(tmpdir(), 'bench-issuer-'));
    const work = mkdtempSync(join(tmpdir(), 'bench-work-'));
    const azurite = await startAzurite({ location: data, inMemory: process.env.BENCH_AZURITE_MEMORY === '1' });
    const issuer = await startLocalIssuer({ dataDir: issuerDir });
    const port = await freePort();
    const host = spawn(process.execPath, [join(repoRoot, 'dist', 'devhost', 'main.js'), '--app', repoRoot, '--port', String(port)], {
      env: {
        ...process.env,
        AzureWebJobsStorage: azurite.connectionString,
        AUTH_ISSUERS: issuer.issuer,
        AUTH_AUDIENCES: issuer.audience,
        DEVHOST_LOG_LEVEL: 'warn',
        SCORING_WORK_DIR: work,
        WEBSITE_HOSTNAME: '',
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return new BenchStack(azurite, issuer, host, url, BlobServiceClient.fromConnectionString(azurite.connectionString), [data, issuerDir, work]);
  }

  /** Peak resident memory of the host process so far (VmHWM), in MiB. */
  hostPeakMemoryMiB(): number {
    const status = readFileSync(`/proc/${this.host.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  }

  workspace(): ContainerClient {
    return this.blob.getContainerClient('workspaceblobstore');
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const token = await this.issuer.signToken({ roles: ['BatchEndpoints.Manage'], name: 'bench' });
    const res = await fetch(`${this.url}/api/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: parsed };
  }

  /** Uploads many small blobs with bounded concurrency. */
  async uploadMany(files: { name: string; data: Buffer | string }[], concurrency = 32): Promise<void> {
    const container = this.workspace();
    await container.createIfNotExists();
    await mapLimited(files, concurrency, (f) => container.getBlockBlobClient(f.name).upload(f.data, Buffer.byteLength(f.data)));
  }

  /** Invokes and waits; returns the final job and the seconds from invoke to final status. */
  async runJob(endpoint: string, inputPath: string, overrides: Record<string, unknown> = {}): Promise<{ job: any; seconds: number; invokedAt: number }> {
    const invokedAt = Date.now();
    const started = performance.now();
    const invoke = await this.api('POST', `batchEndpoints/${endpoint}/jobs`, {
      properties: { InputData: { data: { JobInputType: 'UriFolder', Uri: `azureml://datastores/workspaceblobstore/paths/${inputPath}/` } }, ...overrides },
    });
    const name = invoke.body.name as string;
    for (;;) {
      const res = await this.api('GET', `batchEndpoints/${endpoint}/jobs/${name}`);
      if (res.status === 200) return { job: res.body, seconds: (performance.now() - started) / 1000, invokedAt };
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => {
      if (this.host.exitCode !== null) return r();
      this.host.once('exit', () => r());
      this.host.kill('SIGTERM');
    });
    await this.issuer.stop();
    await this.azurite.stop();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
