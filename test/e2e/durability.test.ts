import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppStack, startApp, folderInput } from '../support/appHost';
import { keys, repoRoot } from '../support/devhost';

// Cancel, SIGKILL and SIGTERM of the host in the middle of a job, through the real app.
// The scorer is test/fixtures/scripts/e2e/slow: it sleeps `ms` per mini-batch and leaves a
// "<file>.start-*" and a "<file>.done-*" marker in `state_dir` for every run() call, so the test
// can see which mini-batches were scored, and how many times.

const scripts = join(repoRoot, 'test', 'fixtures', 'scripts', 'e2e');
const PARALLELISM = 2;
const files = (n: number) => Array.from({ length: n }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
const content = (i: number) => `v${i * 7}`;
/** What the slow scorer writes for `n` one-file mini-batches: one line per file, in input order. */
const expectedLines = (n: number) => files(n).map((f, i) => `${f},${content(i)}`);

let app: AppStack;

const lines = (text: string | undefined) => (text ?? '').split('\n').filter((l) => l !== '');
const defaultOutput = (jobId: string) => `azureml/${jobId}/score/predictions.csv`;

/** Marker counts per file of the slow scorer: how many run() calls started / returned. */
function markers(dir: string, kind: 'start' | 'done'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    const m = /^(.+)\.(start|done)-[0-9a-f]+$/.exec(name);
    if (m && m[2] === kind) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return counts;
}
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

async function invokeSlow(folder: string, ms: number): Promise<{ jobId: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-durability-'));
  const { InputData } = folderInput(folder);
  const invoke = await app.invoke('slow', {
    InputData: { ...InputData, ms: { JobInputType: 'Literal', Value: String(ms) }, state_dir: { JobInputType: 'Literal', Value: dir } },
  });
  expect(invoke.status, JSON.stringify(invoke.body)).toBe(202);
  return { jobId: invoke.body.name, dir };
}

/** Waits until the job is Running with at least `n` mini-batches counted as succeeded; returns the job. */
const runningWithProgress = (jobId: string, n: number) =>
  app.waitUntil(`job ${jobId} Running with ${n} mini-batches done`, async () => {
    const job = await app.job('slow', jobId);
    return job.properties.status === 'Running' && job.properties.progress.miniBatchesSucceeded >= n ? job : undefined;
  });

/** How long the scoreMiniBatch activity trusts its cached copy of a job (its `recentJob`) before reading it again. */
const JOB_CACHE_MS = 1000;

interface ScoringTask {
  index: number;
  /** When the orchestration scheduled it (its episode's time: before the activity started). */
  scheduledAt: number;
  /** The activity found the job canceled or ended and scored nothing. */
  canceled: boolean;
  /** Positions in the chunk's history: scheduled, and completed (-1 if it never completed). */
  scheduledPos: number;
  completedPos: number;
  /** Episodes (replays) of the chunk it was scheduled and completed in. */
  scheduledEpisode: number;
  completedEpisode: number;
  /** The attempt failed (it scored nothing; a retry is its own task). */
  failed?: boolean;
}

/**
 * The scoring tasks of a job's chunk orchestrations (`<job>-chunk-<n>`), from their Durable
 * histories: what the orchestration decided and in which order, independent of how fast the
 * machine is. Returns one list per chunk that exists.
 */
async function scoringTasks(jobId: string): Promise<ScoringTask[][]> {
  const chunks: ScoringTask[][] = [];
  for (let n = 0; ; n++) {
    // A chunk may outlive its job (a terminated job's chunk runs on until it meets the end): wait for it.
    const instance = await app.waitUntil(`chunk ${n} of ${jobId} to end`, async () => {
      const found = await app.orchestration(`${jobId}-chunk-${n}`);
      return found === undefined ? ('none' as const) : ['Running', 'Pending'].includes(found.runtimeStatus) ? undefined : found;
    });
    if (instance === 'none') return chunks;
    const history = instance.historyEvents;
    const tasks = new Map<number, ScoringTask>();
    let episode = 0;
    history.forEach((e, pos) => {
      if (e.EventType === 'OrchestratorStarted') episode++;
      if (e.EventType === 'TaskScheduled' && e.Name === 'batchJob_scoreMiniBatch') {
        tasks.set(e.EventId, { index: JSON.parse(e.Input).index, scheduledAt: Date.parse(e.Timestamp), canceled: false, scheduledPos: pos, completedPos: -1, scheduledEpisode: episode, completedEpisode: -1 });
      } else if (e.EventType === 'TaskCompleted' && tasks.has(e.TaskScheduledId)) {
        const task = tasks.get(e.TaskScheduledId)!;
        task.completedPos = pos;
        task.completedEpisode = episode;
        task.canceled = JSON.parse(e.Result).canceled === true;
      } else if (e.EventType === 'TaskFailed' && tasks.has(e.TaskScheduledId)) {
        // An attempt that failed (e.g. it read the plan as the ended job's clean-up deleted it) ended
        // too; it scored nothing, and its retry is a task of its own.
        const task = tasks.get(e.TaskScheduledId)!;
        task.completedPos = pos;
        task.completedEpisode = episode;
        task.failed = true;
      }
    });
    chunks.push([...tasks.values()]);
  }
}

/**
 * Scoring stopped once the job was canceled or ended (`recordedBy`: a time by which that was in
 * the job's row), read from the orchestrations' histories, so order and not elapsed time decides:
 * the chunk that met the end scheduled nothing after its first canceled mini-batch, and no chunk
 * started after it; each of its in-flight slots met the end at most once; a mini-batch scored only
 * when its activity could still see the job running (scheduled before `recordedBy` plus the time
 * the activity trusts its cached copy of the job). The scorer's markers agree: exactly the
 * mini-batches counted as scored ran, each once and to the end. Returns the scored ones.
 * `metTheEnd`: some mini-batch must have found the job canceled (else the chunk may have run out of range).
 */
async function expectScoringStopped(jobId: string, dir: string, recordedBy: number, options: { metTheEnd: boolean }): Promise<ScoringTask[]> {
  const chunks = await scoringTasks(jobId);
  const last = chunks.at(-1)!;
  const canceled = last.filter((t) => t.canceled);
  // The end stopped the job, not the end of its input (a terminated job's chunk may also just finish its range).
  if (options.metTheEnd) expect(canceled.length).toBeGreaterThanOrEqual(1);
  expect(canceled.length).toBeLessThanOrEqual(PARALLELISM);
  // Nothing is scheduled in a later episode than the one that read the first canceled result. The
  // episode that read it may have read other results before it too (several complete between two
  // replays), and scheduled for those before it came to the canceled one.
  const firstCanceled = canceled.reduce((a, b) => (b.completedPos < a.completedPos ? b : a), canceled[0]!);
  if (firstCanceled) expect(last.filter((t) => t.scheduledEpisode > firstCanceled.completedEpisode)).toEqual([]);
  for (const chunk of chunks.slice(0, -1)) expect(chunk.some((t) => t.canceled)).toBe(false);
  const tasks = chunks.flat();
  expect(tasks.every((t) => t.completedPos >= 0)).toBe(true); // nothing was left running
  const scored = tasks.filter((t) => !t.canceled && !t.failed);
  for (const t of scored) expect(t.scheduledAt, `mini-batch ${t.index}`).toBeLessThan(recordedBy + JOB_CACHE_MS);

  const starts = markers(dir, 'start');
  const scoredFiles = scored.map((t) => files(30)[t.index]!).sort();
  expect([...starts.keys()].sort()).toEqual(scoredFiles);
  expect([...starts.values()].every((n) => n === 1)).toBe(true);
  expect(total(markers(dir, 'done'))).toBe(scored.length);
  return scored;
}

beforeAll(async () => {
  // Chunks of 8, every one writing a part (as chunks past 40,000 mini-batches do), so a crash can
  // hit a sub-orchestration or a seal too; each seal runs with the next chunk.
  // (test/e2e/plannedInPages.test.ts has direct and part chunks in one job.) No grace before a
  // job whose orchestration was terminated is settled.
  app = await startApp({ JOB_CHUNK_SIZE: '8', OUTPUT_DIRECT_BLOCKS: '4', JOB_SETTLE_GRACE_MS: '0' });
  for (const [i, name] of files(40).entries()) await app.uploadText(`inputs/forty/${name}`, `${content(i)}\n`);
  for (const [i, name] of files(30).entries()) await app.uploadText(`inputs/thirty/${name}`, `${content(i)}\n`);
  await app.deploy({
    endpoint: 'slow',
    deployment: 'script',
    modelFolder: join(scripts, 'model'),
    modelType: 'custom_model',
    codeFolder: join(scripts, 'slow'),
    settings: { miniBatchSize: 1, maxConcurrencyPerInstance: PARALLELISM, retrySettings: { maxRetries: 2, timeout: 'PT30S' } },
  });
});
afterAll(async () => {
  await app?.stop();
});

describe('durability of a running job', () => {
  it('cancels a running job: 202 CancelRequested, then Canceled once the in-flight mini-batches end, scheduling stopped, no output; a second cancel is 409', async () => {
    const { jobId, dir } = await invokeSlow('inputs/thirty', 300);
    await runningWithProgress(jobId, 2);

    const readOnly = await app.api('POST', `batchEndpoints/slow/jobs/${jobId}/cancel`, undefined, { roles: ['BatchEndpoints.Read'] });
    expect(readOnly.status).toBe(403);
    const cancel = await app.api('POST', `batchEndpoints/slow/jobs/${jobId}/cancel`, undefined, { roles: ['BatchEndpoints.Invoke'] });
    expect(cancel.status).toBe(202);
    expect(cancel.body.properties.status).toBe('CancelRequested');
    const recordedBy = Date.now(); // the cancel is in the job's row by now

    const job = await app.waitForJob('slow', jobId);
    expect(job.properties.status).toBe('Canceled');
    expect(job.properties.error).toBeUndefined();
    expect(await app.readWorkspaceBlob(defaultOutput(jobId))).toBeUndefined();

    const scored = await expectScoringStopped(jobId, dir, recordedBy, { metTheEnd: true });
    expect(job.properties.progress.miniBatchesSucceeded).toBe(scored.length);
    // 30, or the first chunk's head (8 here) when the cancel came before planRest listed the rest.
    expect([8, 30]).toContain(job.properties.progress.miniBatchesTotal);

    const again = await app.api('POST', `batchEndpoints/slow/jobs/${jobId}/cancel`, undefined, { roles: ['BatchEndpoints.Invoke'] });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('JobNotCancelable');
  });

  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    it(`finishes a job after ${how} of the host mid-job: every row exactly once, in input order, without starting over`, async () => {
      const { jobId, dir } = await invokeSlow('inputs/forty', 150);
      const before = await runningWithProgress(jobId, 6);
      const committedBefore: number = before.properties.progress.miniBatchesSucceeded;

      if (how === 'SIGKILL') await app.host.kill();
      else await app.host.stop();
      const startedAtStop = total(markers(dir, 'start'));
      const doneAtStop = total(markers(dir, 'done'));
      expect(doneAtStop).toBeGreaterThanOrEqual(committedBefore);
      expect(doneAtStop).toBeLessThan(40); // the job really was interrupted mid-way
      await app.startHost();

      const job = await app.waitForJob('slow', jobId, 40_000);
      expect(job.properties.status).toBe('Completed');
      expect(job.properties.progress).toMatchObject({ miniBatchesTotal: 40, miniBatchesSucceeded: 40, miniBatchesFailed: 0, itemsSucceeded: 40, itemsFailed: 0 });
      expect(lines(await app.readWorkspaceBlob(defaultOutput(jobId)))).toEqual(expectedLines(40));
      expect(await app.jobErrors('slow', jobId)).toEqual([]);

      // Every file was scored; only mini-batches not yet recorded by the orchestration when the
      // host stopped may have run twice (activities are at-least-once), never the whole job again.
      const starts = markers(dir, 'start');
      expect([...starts.keys()].sort()).toEqual(files(40));
      const rerun = [...starts].filter(([, n]) => n > 1).map(([f]) => f);
      expect(rerun.length, `run again: ${rerun.join(', ')}`).toBeLessThanOrEqual(startedAtStop - committedBefore);
      expect(total(starts)).toBeLessThan(40 + committedBefore);
      if (how === 'SIGTERM') {
        // A graceful stop lets running mini-batches finish and records them: nothing runs twice.
        expect(doneAtStop).toBe(startedAtStop);
        expect(rerun).toEqual([]);
      }
    });
  }

  it('fails a job whose orchestration was terminated (by an operator) when it is next read, instead of leaving it Running', async () => {
    const { jobId, dir } = await invokeSlow('inputs/thirty', 300);
    await runningWithProgress(jobId, 1);
    const terminate = await fetch(`${app.host.url}/runtime/webhooks/durabletask/instances/${jobId}/terminate?reason=operator&code=${keys.masterKey}`, { method: 'POST' });
    expect(terminate.status).toBe(202);
    const job = await app.waitUntil(`job ${jobId} final`, async () => {
      const j = await app.job('slow', jobId);
      return j.properties.status === 'Running' ? undefined : j;
    });
    const endedBy = Date.now(); // the job's row says Failed by now
    expect(job.properties.status).toBe('Failed');
    expect(job.properties.error.code).toBe('SystemError');
    expect(job.properties.error.message).toContain('Terminated');
    expect(job.properties.error.message).toContain('operator');
    expect(job.properties.logsUri).toContain(`azureml/${jobId}/logs/`); // finished the way finish does
    expect(await app.readWorkspaceBlob(defaultOutput(jobId))).toBeUndefined();
    // Nothing scores for the job once it has ended: its chunk (which a terminated parent leaves
    // running) meets the end and stops.
    const scored = await expectScoringStopped(jobId, dir, endedBy, { metTheEnd: false });
    expect(scored.length).toBeLessThan(30);
  });
});
