/**
 * Durable fan-out benchmark: an orchestration of N empty activities through devhost on Azurite
 * (a real child process each), for N = 1,000 and 10,000. Prints activities/s for each and the
 * ratio of per-activity time at 10,000 vs 1,000 (1.0 = linear; growth above means superlinear cost).
 * Run: npm run bench:fanout
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startAzurite } from '../devhost/azurite';

const repoRoot = resolve(__dirname, '..', '..');
const appDir = join(repoRoot, 'bench', 'apps', 'fanout');
const MASTER_KEY = 'bench-master-key';

async function startHost(connectionString: string, hub: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'devhost', 'main.js'), '--app', appDir, '--port', String(port)], {
    env: { ...process.env, AzureWebJobsStorage: connectionString, BENCH_HUB: hub, DEVHOST_MASTER_KEY: MASTER_KEY, DEVHOST_LOG_LEVEL: 'warn', WEBSITE_HOSTNAME: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/admin/host/status`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function fanOut(url: string, count: number): Promise<number> {
  const base = `${url}/runtime/webhooks/durabletask`;
  const started = performance.now();
  const res = await fetch(`${base}/orchestrators/fanOut?code=${MASTER_KEY}`, { method: 'POST', body: JSON.stringify(count) });
  if (res.status !== 202) throw new Error(`start failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const status = await fetch(`${base}/instances/${id}?code=${MASTER_KEY}`);
    if (status.status === 200) {
      const body = (await status.json()) as { runtimeStatus: string; output: unknown };
      if (body.runtimeStatus !== 'Completed' || body.output !== count) throw new Error(`unexpected end: ${JSON.stringify(body)}`);
      return (performance.now() - started) / 1000;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-azurite-'));
  const azurite = await startAzurite({ location: dir });
  const host = await startHost(azurite.connectionString, `Bench${Date.now()}`);
  try {
    await fanOut(host.url, 100); // warm-up: module loading, table and container creation
    const small = await fanOut(host.url, 1_000);
    const large = await fanOut(host.url, 10_000);
    const rate = (n: number, s: number) => Math.round(n / s);
    console.log(`fan-out   1,000 activities: ${small.toFixed(2)} s  ${rate(1_000, small)} activities/s`);
    console.log(`fan-out  10,000 activities: ${large.toFixed(2)} s  ${rate(10_000, large)} activities/s`);
    console.log(`per-activity time ratio 10,000 vs 1,000: ${(large / 10_000 / (small / 1_000)).toFixed(2)} (target <= 1.5; throughput target >= 300/s)`);
  } finally {
    await host.stop();
    await azurite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
