/**
 * Job fan-out benchmark: a job of 1,000 and one of 10,000 one-file mini-batches, scored by a no-op
 * script, each in a fresh host (devhost on Azurite). Prints the per-mini-batch time of each and
 * their ratio (target <= 1.5), the host's peak memory for each and their ratio (target <= 1.5),
 * and the time from invoke to the first finished mini-batch (target < 1 s).
 * Run: npm run bench:jobs-fanout   (SMALL and LARGE override the sizes; HOSTS=3 runs three app
 * hosts on one task hub, instanceCount 3; DEVHOST_EPISODE_MODE=azure replays as the Azure Storage
 * provider batches: at most 32 messages per episode)
 */
import { TableClient } from '@azure/data-tables';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MiniBatchStore } from '../lib/jobs/miniBatchStore';
import { AppStack, repoRoot } from '../scripts/support/appStack';
import { writeBenchJson } from './benchJson';

const SMALL = Number(process.env.SMALL ?? 1_000);
const LARGE = Number(process.env.LARGE ?? 10_000);
const PARALLELISM = Number(process.env.PARALLELISM ?? 8);
/**
 * App hosts on the task hub (devhost's shared hub, as Azure's instances): the deployment's
 * instanceCount, so HOSTS x PARALLELISM mini-batches are in flight. 1 or 3 are the measured
 * settings; up to the hub's 4 partitions work.
 */
const HOSTS = Number(process.env.HOSTS ?? 1);
if (!Number.isInteger(HOSTS) || HOSTS < 1 || HOSTS > 4) throw new Error(`HOSTS must be 1 to 4 (found '${process.env.HOSTS}').`);
/** devhost's episode mode, passed through the environment to the hosts. */
const EPISODE_MODE = (process.env.DEVHOST_EPISODE_MODE ?? '').trim().toLowerCase() || 'local';
/**
 * SummaryOnly by default: this measures fan-out (scheduling, tracking, retries), not output
 * assembly. With AppendRow every mini-batch stages a block on one blob, and Azurite's Put Block
 * costs grow with the blob's uncommitted blocks (Azure's do not): OUTPUT_ACTION=AppendRow shows it.
 */
const OUTPUT_ACTION = process.env.OUTPUT_ACTION ?? 'SummaryOnly';
/**
 * Both runs start with the same number of blobs in storage: the job's inputs plus other blobs up
 * to LARGE. Azurite keeps every blob of an account in one LokiJS collection and finds a blob by
 * scanning it, so each blob request costs time in proportion to the account's blob count (5.3 ms
 * per download at 1,000 blobs, 10.2 ms at 10,000 in another container). Azure Storage has no such
 * cost. Without this, the 10,000 run measures Azurite's bigger account. EQUAL_STORAGE=0 turns it off.
 */
const EQUAL_STORAGE = process.env.EQUAL_STORAGE !== '0';

interface Run {
  count: number;
  seconds: number;
  perMiniBatchMs: number;
  peakMiB: number;
  firstDoneMs: number;
}

async function run(count: number): Promise<Run> {
  const stack = await AppStack.start({ azurite: process.env.BENCH_AZURITE_MEMORY === '1' ? 'memory' : 'disk', stdio: 'inherit', hosts: HOSTS });
  try {
    const files = Array.from({ length: count }, (_, i) => ({ name: `bench/fanout/f${String(i).padStart(6, '0')}.txt`, data: `${i}\n` }));
    const others = EQUAL_STORAGE ? Math.max(0, LARGE - count) : 0;
    const otherFiles = Array.from({ length: others }, (_, i) => ({ name: `bench/other/o${String(i).padStart(6, '0')}.txt`, data: `${i}\n` }));
    await stack.uploadMany([...files, ...otherFiles], 64);
    await stack.uploadMany([
      { name: 'bench/noop/score.js', data: readFileSync(join(repoRoot, 'bench', 'scripts', 'noop', 'score.js')) },
      { name: 'bench/model/model.onnx', data: readFileSync(join(repoRoot, 'samples', 'iris', 'model', 'model.onnx')) },
    ]);
    await stack.apiOk('PUT', 'models/noop/versions/1', { properties: { modelType: 'custom_model', modelUri: 'azureml://datastores/workspaceblobstore/paths/bench/model' } });
    await stack.apiOk('PUT', 'codes/noop/versions/1', { properties: { codeUri: 'azureml://datastores/workspaceblobstore/paths/bench/noop' } });
    await stack.apiOk('PUT', 'batchEndpoints/fanout', { properties: {} });
    await stack.apiOk('PUT', 'batchEndpoints/fanout/deployments/noop', {
      properties: {
        model: 'azureml:noop:1',
        codeConfiguration: { codeId: 'azureml:noop:1', scoringScript: 'score.js' },
        miniBatchSize: 1,
        outputAction: OUTPUT_ACTION,
        resources: { instanceCount: HOSTS },
        maxConcurrencyPerInstance: PARALLELISM,
      },
    });
    await stack.apiOk('PATCH', 'batchEndpoints/fanout', { properties: { defaults: { deploymentName: 'noop' } } });
    const { job, seconds, invokedAt } = await stack.runJob('fanout', 'bench/fanout');
    if (job.properties.status !== 'Completed' || job.properties.progress.itemsSucceeded !== count) {
      throw new Error(`job ended ${job.properties.status}: ${JSON.stringify(job.properties.progress)} ${JSON.stringify(job.properties.error)}`);
    }
    // The first mini-batch to finish, from the rows the activities wrote (server-side clock).
    const store = new MiniBatchStore(TableClient.fromConnectionString(stack.azurite.connectionString, 'minibatches', { allowInsecureConnection: true }));
    let first = Infinity;
    for await (const mb of store.list(job.name)) {
      if (mb.status === 'Succeeded' && mb.updatedAt) first = Math.min(first, Date.parse(mb.updatedAt));
    }
    if (process.env.BENCH_DEBUG) await printFirstResult(stack, job, invokedAt, store);
    // The busiest host's peak (each host is one instance, with its own memory).
    const peakMiB = Math.max(...stack.hosts.map((_, i) => stack.hostPeakMemoryMiB(i)));
    return { count, seconds, perMiniBatchMs: (seconds * 1000) / count, peakMiB, firstDoneMs: first - invokedAt };
  } finally {
    await stack.stop();
  }
}

/**
 * Where the time to the first result went (BENCH_DEBUG=1): the job row's times, the orchestrations'
 * history events up to the first mini-batch scheduled, and the first finished mini-batch's row, each
 * in ms after the invoke.
 */
async function printFirstResult(stack: AppStack, job: any, invokedAt: number, store: MiniBatchStore): Promise<void> {
  const at = (iso: string | undefined) => (iso ? `${Date.parse(iso) - invokedAt} ms` : '-');
  const lines = [`job row: created ${at(job.properties.creationTime)}, started ${at(job.properties.startTime)}`];
  for (const id of [job.name, `${job.name}-chunk-0`]) {
    const events = (await stack.orchestration(id))?.historyEvents ?? [];
    let scheduled = false;
    for (const e of events) {
      if (scheduled) break; // up to the first mini-batch scheduled
      scheduled = e.EventType === 'TaskScheduled' && String(e.Name).endsWith('scoreMiniBatch');
      lines.push(`${id === job.name ? 'job' : 'chunk-0'}: ${e.EventType}${e.Name ? ` ${e.Name}` : ''} ${at(e.Timestamp)}`);
    }
  }
  let first: { updatedAt?: string; durationMs?: number; index: number; timings?: unknown } | undefined;
  for await (const mb of store.list(job.name)) if (mb.status === 'Succeeded' && (!first || (mb.updatedAt ?? '') < (first.updatedAt ?? ''))) first = mb;
  if (first?.updatedAt) {
    const end = Date.parse(first.updatedAt) - invokedAt;
    lines.push(`first mini-batch (${first.index}): started ${end - (first.durationMs ?? 0)} ms, recorded ${end} ms, timings ${JSON.stringify(first.timings)}`);
  }
  console.log(lines.map((l) => `  ${l}`).join('\n'));
}

async function main(): Promise<void> {
  console.log(
    `no-op script, miniBatchSize 1, ${HOSTS} host(s) x ${PARALLELISM} = ${HOSTS * PARALLELISM} mini-batches in flight, episode mode ${EPISODE_MODE}, ` +
      `outputAction ${OUTPUT_ACTION}, Azurite ${process.env.BENCH_AZURITE_MEMORY === '1' ? 'in memory' : 'on disk'}`,
  );
  if (EQUAL_STORAGE) console.log(`each run starts with ${LARGE.toLocaleString('en-US')} input blobs in storage (its job's and others), so Azurite's per-blob scan costs the same in both`);
  const small = await run(SMALL);
  const large = await run(LARGE);
  for (const r of [small, large]) {
    console.log(
      `${r.count.toLocaleString('en-US').padStart(6)} mini-batches: ${r.seconds.toFixed(1)} s, ${r.perMiniBatchMs.toFixed(2)} ms per mini-batch, ` +
        `${HOSTS > 1 ? 'busiest ' : ''}host peak memory ${r.peakMiB.toFixed(0)} MiB, first mini-batch done ${r.firstDoneMs} ms after invoke`,
    );
  }
  console.log(`per-mini-batch time ratio ${LARGE} vs ${SMALL}: ${(large.perMiniBatchMs / small.perMiniBatchMs).toFixed(2)} (target <= 1.5)`);
  console.log(`host peak memory ratio: ${(large.peakMiB / small.peakMiB).toFixed(2)} (target <= 1.5)`);
  console.log(`invoke to first finished mini-batch: ${small.firstDoneMs} ms and ${large.firstDoneMs} ms (target < 1000 ms)`);
  writeBenchJson('jobs-fanout', {
    hosts: HOSTS,
    inFlight: HOSTS * PARALLELISM,
    episodeMode: EPISODE_MODE,
    outputAction: OUTPUT_ACTION,
    equalStorage: EQUAL_STORAGE,
    small,
    large,
    perMiniBatchTimeRatio: large.perMiniBatchMs / small.perMiniBatchMs,
    hostPeakMemoryRatio: large.peakMiB / small.peakMiB,
    firstDoneMs: Math.max(small.firstDoneMs, large.firstDoneMs),
  });
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
