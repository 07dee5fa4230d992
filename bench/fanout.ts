/**
 * Durable fan-out benchmark: an orchestration of N empty activities through devhost on Azurite
 * (a real child process each), for N = 1,000 and 10,000. Prints activities/s for each and the
 * ratio of per-activity time at 10,000 vs 1,000 (1.0 = linear; growth above means superlinear cost).
 * Run: npm run bench:fanout
 */
import { join, resolve } from 'node:path';
import { startStack } from '../devhost/localStack';

const appDir = join(resolve(__dirname, '..', '..'), 'bench', 'apps', 'fanout');
const MASTER_KEY = 'bench-master-key';

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
  // Azurite on disk (a temporary folder), no issuer: the fan-out app has no authenticated routes.
  const stack = await startStack({
    appDir,
    storage: {},
    issuer: false,
    env: { BENCH_HUB: `Bench${Date.now()}`, DEVHOST_MASTER_KEY: MASTER_KEY, DEVHOST_LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const host = stack.host;
  try {
    await fanOut(host.url, 100); // warm-up: module loading, table and container creation
    const small = await fanOut(host.url, 1_000);
    const large = await fanOut(host.url, 10_000);
    const rate = (n: number, s: number) => Math.round(n / s);
    console.log(`fan-out   1,000 activities: ${small.toFixed(2)} s  ${rate(1_000, small)} activities/s`);
    console.log(`fan-out  10,000 activities: ${large.toFixed(2)} s  ${rate(10_000, large)} activities/s`);
    console.log(`per-activity time ratio 10,000 vs 1,000: ${(large / 10_000 / (small / 1_000)).toFixed(2)} (target <= 1.5; throughput target >= 300/s)`);
  } finally {
    await stack.stop();
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
