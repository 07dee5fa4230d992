import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { RunningAzurite } from '../../devhost/azurite';
import type { LocalIssuer } from '../../devhost/issuer';
import { startStack, waitForPartitionsSpread, type LocalStack, type SpawnedHost } from '../../devhost/localStack';
import { AppClient } from './appClient';

/** The repository (its build in dist/ is the app), whether this file runs built or as TS source. */
export const repoRoot = existsSync(resolve(__dirname, '..', '..', 'package.json')) ? resolve(__dirname, '..', '..') : resolve(__dirname, '..', '..', '..');

/** The host keys every AppStack runs with, so a caller can use the Durable webhooks. */
export const HOST_KEYS = { functionKey: 'test-function-key', masterKey: 'test-master-key', blobsExtensionKey: 'test-blobs-extension-key' };

export interface AppStackOptions {
  /** App settings on top of the environment's and local.settings(.sample).json's. */
  settings?: Record<string, string>;
  /** Azurite in memory (default) or on disk (in a temporary folder): disk is what `npm start` runs. */
  azurite?: 'memory' | 'disk';
  /** `pipe` keeps the host's output for failure messages (tests); `inherit` prints it. */
  stdio?: 'pipe' | 'inherit';
  /** The local issuer's folder (default: a temporary one): the studio's local sign-in reads its keys there; the CLI's tests sign tokens with it. */
  issuerDir?: string;
  /**
   * App hosts on one task hub (default 1), as Azure runs several instances: more than one share
   * the hub through storage (devhost's DEVHOST_SHARED_HUB), each with its own work folder, with
   * leases of 6 s and work items that reappear 10 s after a host died (settings can override),
   * and `start` returns once each owns a partition. The API client calls the first live host.
   */
  hosts?: number;
}

/**
 * This app (the repository's build) in devhost, on its own Azurite, with a local issuer: what
 * `npm start` runs, isolated for one test file or one benchmark round. The API helper
 * (`AppClient`) calls it with tokens of the local issuer.
 */
export class AppStack extends AppClient {
  private constructor(
    private readonly stack: LocalStack,
    private readonly workDir: string,
  ) {
    super({
      url: stack.host.url,
      blob: BlobServiceClient.fromConnectionString(stack.connectionString),
      token: (roles, name) => stack.issuer!.signToken({ roles: [...roles], name }),
    });
  }

  static async start(options: AppStackOptions = {}): Promise<AppStack> {
    const workDir = mkdtempSync(join(tmpdir(), 'scoring-'));
    const hosts = options.hosts ?? 1;
    const stack = await startStack({
      appDir: repoRoot,
      storage: options.azurite === 'disk' ? {} : { inMemory: true },
      env: {
        DEVHOST_FUNCTION_KEY: HOST_KEYS.functionKey,
        DEVHOST_MASTER_KEY: HOST_KEYS.masterKey,
        DEVHOST_BLOBS_EXTENSION_KEY: HOST_KEYS.blobsExtensionKey,
        DEVHOST_LOG_LEVEL: process.env.DEVHOST_LOG_LEVEL ?? 'warn',
        SCORING_WORK_DIR: workDir,
        ...(hosts > 1 ? { DEVHOST_LEASE_MS: '6000', DEVHOST_WORKITEM_VISIBILITY_MS: '10000' } : {}),
        ...options.settings,
      },
      hosts,
      // Instances share no disk: one work folder each.
      ...(hosts > 1 ? { hostEnv: (i: number) => ({ SCORING_WORK_DIR: join(workDir, `host-${i}`) }) } : {}),
      stdio: options.stdio,
      ...(options.issuerDir ? { issuer: { dataDir: options.issuerDir } } : {}),
    }).catch((err: unknown) => {
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    });
    const app = new AppStack(stack, workDir);
    if (hosts > 1) await waitForPartitionsSpread(stack.hosts).catch(async (err: unknown) => {
      await app.stop();
      throw err;
    });
    return app;
  }

  /** The host the API client calls (the first, unless it was killed). */
  get host(): SpawnedHost {
    return this.stack.hosts.find((h) => h.url === this.options.url) ?? this.stack.host;
  }

  /** Every host on the task hub, by index. */
  get hosts(): readonly SpawnedHost[] {
    return this.stack.hosts;
  }

  /** An API client of one host (several hosts: calls that must land on different instances). */
  clientOf(index: number): AppClient {
    return new AppClient({ ...this.options, url: this.stack.hosts[index]!.url });
  }

  /** SIGKILLs one host; the API client moves to a live one if it called this one. */
  async killHost(index: number): Promise<void> {
    const host = this.stack.hosts[index]!;
    await host.kill();
    if (this.options.url === host.url) {
      const live = this.stack.hosts.find((h) => h.child.exitCode === null && h.child.signalCode === null);
      if (live) this.options.url = live.url;
    }
  }

  get azurite(): RunningAzurite {
    return this.stack.azurite!;
  }

  get issuer(): LocalIssuer {
    return this.stack.issuer!;
  }

  /** Settings the host runs with. */
  get env(): Record<string, string> {
    return this.stack.env;
  }

  /** Starts a host again (after its `stop()` or `kill()`) on the same port, storage and issuer. */
  async startHost(index = 0): Promise<void> {
    await this.stack.restartHost(index);
  }

  async stop(): Promise<void> {
    await this.stack.stop();
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /**
   * An orchestration instance's status with its history (the Durable HTTP API), or undefined when
   * there is no such instance. Tests read what an orchestration decided, and in which order, here.
   */
  async orchestration(instanceId: string): Promise<{ runtimeStatus: string; createdTime?: string; historyEvents: Record<string, any>[] } | undefined> {
    const res = await fetch(`${this.host.url}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true&showHistoryOutput=true&code=${HOST_KEYS.masterKey}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200 && res.status !== 202) throw new Error(`instance ${instanceId}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { runtimeStatus: string; createdTime?: string; historyEvents: Record<string, any>[] };
  }

  /** Peak resident memory of a host process so far (VmHWM), in MiB: the API's host, or host `index`. */
  hostPeakMemoryMiB(index?: number): number {
    const host = index === undefined ? this.host : this.stack.hosts[index]!;
    const status = readFileSync(`/proc/${host.child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0) / 1024;
  }

  /** The host's view of a job that did not end in time: its first chunk's history and its last log lines. */
  protected override async diagnose(jobId: string): Promise<string> {
    const chunk = await fetch(`${this.host.url}/runtime/webhooks/durabletask/instances/${jobId}-chunk-0?showHistory=true&code=${HOST_KEYS.masterKey}`).then(
      (r) => r.text(),
      (e: Error) => e.message,
    );
    const tail = (h: SpawnedHost) => h.output().split('\n').filter((l) => !l.includes('jobs-get')).slice(-60).join('\n');
    const log = this.stack.hosts.length > 1 ? this.stack.hosts.map((h, i) => `--- host ${i}:\n${tail(h)}`).join('\n') : tail(this.host);
    return `; first chunk's status and history: ${chunk}\nhost output:\n${log}`;
  }
}
