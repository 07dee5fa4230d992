import { describe, expect, it } from 'vitest';
import { batchJobChunk } from '../../orchestrations/batchJobChunk';
import { ACTIVITY, ORCHESTRATION, ZERO_TOTALS, type ChunkInput, type ChunkResult, type JobPlan, type MiniBatchOutcome, type MiniBatchRef } from '../../lib/jobs/contracts';
import { EventType } from '../../devhost/durable/history';
import { plan, scored } from './support/fixtures';
import { ScriptedHost, type ScriptedRun, type StubActivity } from './support/scriptedHost';
import { expectDeterministicReplay, mostInFlight } from './support/historyChecks';

// batchJobChunk run by the real durable-functions replay engine, with stub activities: what it
// schedules, when it stops, and what it reports.

const PLAN = plan({ maxRetries: 1, progressIntervalMs: 2000 });

const chunkInput = (overrides: Partial<JobPlan> = {}): ChunkInput => ({ endpointName: 'ep', jobId: 'job-1', plan: { ...PLAN, ...overrides }, from: 0, to: overrides.miniBatches ?? PLAN.miniBatches, totals: ZERO_TOTALS });

async function runChunk(input: ChunkInput, score: (ref: MiniBatchRef, attempt: number) => MiniBatchOutcome, extra: Record<string, StubActivity> = {}): Promise<ScriptedRun & { result: ChunkResult }> {
  const host = new ScriptedHost({
    orchestrators: { [ORCHESTRATION.chunk]: batchJobChunk },
    activities: { [ACTIVITY.scoreMiniBatch]: score, [ACTIVITY.reportProgress]: () => undefined, ...extra },
  });
  const run = await host.run(ORCHESTRATION.chunk, input);
  expect(run.status).toBe('completed');
  return { ...run, result: run.output as ChunkResult };
}

const scoredIndexes = (run: ScriptedRun) => run.calls.filter((c) => c.name === ACTIVITY.scoreMiniBatch).map((c) => (c.input as MiniBatchRef).index);

describe('batchJobChunk', () => {
  it('scores every mini-batch of its range with at most `parallelism` in flight and reports progress', async () => {
    const run = await runChunk(chunkInput(), () => scored(2));
    expect(run.result).toEqual({ totals: { miniBatchesSucceeded: 5, miniBatchesFailed: 0, itemsSucceeded: 10, itemsFailed: 0 } });
    expect(scoredIndexes(run).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(mostInFlight(run.history, ACTIVITY.scoreMiniBatch)).toBe(2);
    // The clock moves 1 s per episode and the interval is 2 s: progress is reported, with counts
    // and the running mini-batches only; the first finished mini-batch reports at once.
    const progress = run.calls.filter((c) => c.name === ACTIVITY.reportProgress);
    expect(progress.length).toBeGreaterThan(0);
    expect(Object.keys(progress[0]!.input).sort()).toEqual(['endpointName', 'jobId', 'running', 'totals']);
    expect(progress[0]!.input).toMatchObject({ running: 2, totals: { miniBatchesSucceeded: 1 } }); // parallelism 2, 4 left
    await expectDeterministicReplay(new ScriptedHost({ orchestrators: { [ORCHESTRATION.chunk]: batchJobChunk }, activities: {} }), ORCHESTRATION.chunk, run);
  });

  it('reports progress while it runs one mini-batch at a time (parallelism 1: none in flight after each one ends)', async () => {
    const run = await runChunk(chunkInput({ parallelism: 1 }), () => scored(2));
    expect(mostInFlight(run.history, ACTIVITY.scoreMiniBatch)).toBe(1);
    const progress = run.calls.filter((c) => c.name === ACTIVITY.reportProgress).map((c) => (c.input as { totals: ChunkResult['totals'] }).totals);
    expect(progress.length).toBeGreaterThan(0);
    // Reported part-way, not only at the end: some mini-batches were still to be scored.
    expect(progress[0]!.miniBatchesSucceeded).toBeLessThan(5);
  });

  it('scores only its own range, and marks mini-batches of part chunks toPart', async () => {
    const input = { ...chunkInput({ miniBatches: 9, chunkSize: 3, partsFromChunk: 1 }), from: 3, to: 6 };
    const run = await runChunk(input, () => scored(2));
    const refs = run.calls.filter((c) => c.name === ACTIVITY.scoreMiniBatch).map((c) => c.input as MiniBatchRef);
    expect(refs.map((r) => r.index).sort()).toEqual([3, 4, 5]);
    expect(refs.every((r) => r.toPart === true && r.chunkSize === 3)).toBe(true);
  });

  it('stops scheduling once failed items exceed the error threshold (reaching it is allowed)', async () => {
    const input = chunkInput({ errorThreshold: 3, parallelism: 1 });
    const failed = [1, 2, 1, 0, 0];
    const run = await runChunk(input, (ref) => scored(2, failed[ref.index]));
    expect(run.result.stopped).toBe('ErrorThresholdExceeded');
    expect(run.result.totals).toEqual({ miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 2, itemsFailed: 4 });
    expect(scoredIndexes(run)).toEqual([0, 1, 2]);
  });

  it('ignores failures when the threshold is -1', async () => {
    const run = await runChunk(chunkInput({ errorThreshold: -1 }), () => scored(2, 2));
    expect(run.result.stopped).toBeUndefined();
    expect(run.result.totals.itemsFailed).toBe(10);
  });

  it('retries a failing mini-batch maxRetries times, numbering the attempts, then counts all its items as failed', async () => {
    const run = await runChunk(chunkInput({ maxRetries: 2 }), (ref) => {
      if (ref.index === 4) throw new Error('worker crashed');
      return scored(2);
    });
    // Each execution is told its attempt (a retry is a new input; a duplicate delivery is not).
    expect(run.calls.filter((c) => c.name === ACTIVITY.scoreMiniBatch && c.input.index === 4).map((c) => c.input.attempt)).toEqual([1, 2, 3]);
    expect(run.calls.filter((c) => c.name === ACTIVITY.scoreMiniBatch && c.input.index !== 4).map((c) => c.input.attempt)).toEqual([1, 1, 1, 1]);
    expect(run.result).toEqual({ totals: { miniBatchesSucceeded: 4, miniBatchesFailed: 1, itemsSucceeded: 8, itemsFailed: 2 } });
    // A delay before each retry: a durable timer of retryDelayMs after the failure.
    const timers = run.history.filter((e) => e.EventType === EventType.TimerCreated);
    expect(timers).toHaveLength(2);
    const failures = run.history.filter((e) => e.EventType === EventType.TaskFailed);
    expect(failures).toHaveLength(3);
  });

  it('does not retry once the chunk has stopped', async () => {
    // Mini-batch 0 fails (a retry waits), mini-batch 1 exceeds the threshold meanwhile.
    const run = await runChunk(chunkInput({ parallelism: 2, errorThreshold: 1, maxRetries: 3 }), (ref) => {
      if (ref.index === 0) throw new Error('worker crashed');
      return scored(0, 2);
    });
    expect(run.result.stopped).toBe('ErrorThresholdExceeded');
    expect(run.calls.filter((c) => c.name === ACTIVITY.scoreMiniBatch && c.input.index === 0).map((c) => c.input.attempt)).toEqual([1]);
  });

  it('stops on a cancel seen by a mini-batch and schedules no more', async () => {
    const run = await runChunk(chunkInput({ parallelism: 1 }), (ref) => (ref.index === 1 ? { ...scored(0), canceled: true } : scored(2)));
    expect(run.result.stopped).toBe('Canceled');
    expect(scoredIndexes(run)).toEqual([0, 1]);
    expect(run.result.totals.miniBatchesSucceeded).toBe(1);
  });

  it('stops with the first fatal error of a scorer that cannot start (no retry)', async () => {
    const fatal = { code: 'ScriptNotFound', message: 'score.py is not in the code asset' };
    const run = await runChunk(chunkInput(), () => ({ succeededItems: 0, failedItems: 2, outputRows: 0, fatal }));
    expect(run.result.stopped).toBe('ScorerFailed');
    expect(run.result.error).toEqual(fatal);
    // The two in flight end; none after them starts, and none is retried.
    expect(scoredIndexes(run)).toEqual([0, 1]);
    expect(run.result.totals).toEqual({ miniBatchesSucceeded: 0, miniBatchesFailed: 2, itemsSucceeded: 0, itemsFailed: 4 });
  });

  it('goes on when a progress report fails', async () => {
    const run = await runChunk(chunkInput(), () => scored(2), {
      [ACTIVITY.reportProgress]: () => {
        throw new Error('table unavailable');
      },
    });
    expect(run.calls.some((c) => c.name === ACTIVITY.reportProgress)).toBe(true);
    expect(run.result.totals.miniBatchesSucceeded).toBe(5);
  });
});

// prepare planned only the first chunk's head: the chunk plans the rest itself once the head is
// scheduled, while the head's last mini-batches still run (no pause for them to end).
describe('batchJobChunk over the first chunk\'s head', () => {
  // Progress only at the first end (each report holds the loop while completions queue up).
  const head = (): ChunkInput => ({ ...chunkInput({ miniBatches: 4, totalFiles: 8, chunkSize: 6, progressIntervalMs: 600_000 }), to: 4, planRest: true });
  const whole = plan({ maxRetries: 1, progressIntervalMs: 600_000, chunkSize: 6, miniBatches: 8, totalFiles: 16 });

  it('calls planRest once the head is scheduled, before the head has ended, and scores up to the chunk\'s end with the new plan', async () => {
    const run = await runChunk(head(), () => scored(2), { [ACTIVITY.planRest]: () => ({ ok: true, plan: whole, complete: true }) });
    expect(run.calls.filter((c) => c.name === ACTIVITY.planRest).map((c) => (c.input as { plan: JobPlan }).plan.miniBatches)).toEqual([4]);
    expect(scoredIndexes(run).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(run.result).toEqual({ totals: { miniBatchesSucceeded: 6, miniBatchesFailed: 0, itemsSucceeded: 12, itemsFailed: 0 }, plan: whole });
    // planRest was scheduled while a head mini-batch was still in flight.
    const ids = new Map(run.history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => [e.EventId, e.Name]));
    const order = run.history.flatMap((e) => {
      if (e.EventType === EventType.TaskScheduled && e.Name === ACTIVITY.planRest) return ['planRest'];
      if (e.EventType === EventType.TaskCompleted && ids.get(e.TaskScheduledId!) === ACTIVITY.scoreMiniBatch) return ['done'];
      return [];
    });
    expect(order.indexOf('planRest')).toBeLessThan(4);
    expect(mostInFlight(run.history, ACTIVITY.scoreMiniBatch)).toBe(2);
    await expectDeterministicReplay(new ScriptedHost({ orchestrators: { [ORCHESTRATION.chunk]: batchJobChunk }, activities: {} }), ORCHESTRATION.chunk, run);
  });

  it('stops with planRest\'s error, lets the head end, and schedules nothing more', async () => {
    const error = { code: 'InputChanged', message: 'the input changed' };
    const run = await runChunk(head(), () => scored(2), { [ACTIVITY.planRest]: () => ({ ok: false, error }) });
    expect(scoredIndexes(run).sort()).toEqual([0, 1, 2, 3]);
    expect(run.result).toEqual({ totals: { miniBatchesSucceeded: 4, miniBatchesFailed: 0, itemsSucceeded: 8, itemsFailed: 0 }, stopped: 'PlanRestFailed', error });
  });
});
