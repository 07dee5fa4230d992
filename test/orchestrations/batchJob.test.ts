import { describe, expect, it } from 'vitest';
import { batchJob } from '../../orchestrations/batchJob';
import { batchJobChunk } from '../../orchestrations/batchJobChunk';
import { ACTIVITY, ORCHESTRATION, type FinishRequest, type JobPlan, type JobRef, type MiniBatchRef, type PrepareResult, type SealPartRequest } from '../../lib/jobs/contracts';
import { EventType } from '../../devhost/durable/history';
import { plan, scored } from './support/fixtures';
import { ScriptedHost, type ScriptedHostOptions, type ScriptedRun, type StubActivity } from './support/scriptedHost';
import { expectDeterministicReplay } from './support/historyChecks';

// batchJob (with its real chunk sub-orchestrations) run by the real durable-functions replay
// engine, with stub activities: the path from prepare to the one finish call.

const REF: JobRef = { endpointName: 'ep', jobId: 'job-1' };

const PLAN = plan({ chunkSize: 2 });

const orchestrators = { [ORCHESTRATION.job]: batchJob, [ORCHESTRATION.chunk]: batchJobChunk };

interface JobRun extends ScriptedRun {
  finish: FinishRequest[];
  named(name: string): ScriptedRun['calls'];
}

type Stubs = Partial<Record<keyof typeof ACTIVITY, StubActivity>> & { plan?: Partial<JobPlan>; early?: ScriptedHostOptions['early'] };

async function runJob(stubs: Stubs): Promise<JobRun> {
  const plan = { ...PLAN, ...stubs.plan };
  const prepared: PrepareResult = { ok: true, plan, complete: true };
  const host = new ScriptedHost({
    orchestrators,
    early: stubs.early,
    activities: {
      [ACTIVITY.prepare]: stubs.prepare ?? (() => prepared),
      [ACTIVITY.planRest]: stubs.planRest ?? (() => prepared),
      [ACTIVITY.scoreMiniBatch]: stubs.scoreMiniBatch ?? (() => scored(2)),
      [ACTIVITY.reportProgress]: stubs.reportProgress ?? (() => undefined),
      [ACTIVITY.sealPart]: stubs.sealPart ?? (() => 1),
      // finish records the outcome it was given; the orchestration returns what it recorded.
      [ACTIVITY.finish]: stubs.finish ?? ((request: FinishRequest) => request.outcome),
    },
  });
  const run = await host.run(ORCHESTRATION.job, REF);
  expect(run.status).toBe('completed');
  await expectDeterministicReplay(host, ORCHESTRATION.job, run);
  const named = (name: string) => run.calls.filter((c) => c.name === name);
  return { ...run, finish: named(ACTIVITY.finish).map((c) => c.input as FinishRequest), named };
}

const chunkIds = (run: ScriptedRun) => run.calls.filter((c) => c.name === ORCHESTRATION.chunk).map((c) => (c.input as { from: number }).from);

describe('batchJob', () => {
  it('prepares, scores chunk by chunk and finishes once as Completed with the totals', async () => {
    const run = await runJob({});
    expect(run.output).toBe('Completed');
    expect(chunkIds(run)).toEqual([0, 2, 4]);
    // Each chunk is a sub-orchestration with a deterministic instance id.
    expect(run.history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated).map((e) => e.InstanceId)).toEqual(['job-1-chunk-0', 'job-1-chunk-1', 'job-1-chunk-2']);
    expect(run.finish).toEqual([{ ...REF, plan: PLAN, totals: { miniBatchesSucceeded: 5, miniBatchesFailed: 0, itemsSucceeded: 10, itemsFailed: 0 }, outcome: 'Completed' }]);
    expect(run.named(ACTIVITY.planRest)).toHaveLength(0);
    expect(run.named(ACTIVITY.sealPart)).toHaveLength(0);
  });

  it('returns what finish recorded', async () => {
    const run = await runJob({ finish: () => 'Failed' });
    expect(run.output).toBe('Failed');
  });

  it('plans the other listing pages after the first chunk, once, and scores them too', async () => {
    const first: JobPlan = { ...PLAN, totalFiles: 4, miniBatches: 2 };
    const run = await runJob({
      prepare: () => ({ ok: true, plan: first, complete: false }),
      planRest: (input: JobRef & { plan: JobPlan }) => {
        expect(input.plan).toEqual(first);
        return { ok: true, plan: PLAN, complete: true };
      },
    });
    expect(run.named(ACTIVITY.planRest)).toHaveLength(1);
    // planRest runs after the first chunk ended, before the second starts.
    const order = run.calls.filter((c) => c.name === ACTIVITY.planRest || c.name === ORCHESTRATION.chunk).map((c) => c.name);
    expect(order).toEqual([ORCHESTRATION.chunk, ACTIVITY.planRest, ORCHESTRATION.chunk, ORCHESTRATION.chunk]);
    expect(chunkIds(run)).toEqual([0, 2, 4]);
    expect(run.finish[0]).toMatchObject({ outcome: 'Completed', plan: PLAN, totals: { itemsSucceeded: 10 } });
  });

  it('when prepare planned only the first chunk\'s head, lets that chunk plan the rest and goes on with the whole plan, each mini-batch once', async () => {
    const head: JobPlan = { ...PLAN, totalFiles: 2, miniBatches: 1 };
    const run = await runJob({ prepare: () => ({ ok: true, plan: head, complete: false }), planRest: () => ({ ok: true, plan: PLAN, complete: true }) });
    expect(run.named(ACTIVITY.planRest)).toHaveLength(1);
    expect(run.calls.filter((c) => c.name === ORCHESTRATION.chunk).map((c) => c.input)).toMatchObject([{ from: 0, to: 1, planRest: true }, { from: 2, to: 4, plan: PLAN }, { from: 4, to: 5 }]);
    expect(run.history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated).map((e) => e.InstanceId)).toEqual(['job-1-chunk-0', 'job-1-chunk-1', 'job-1-chunk-2']);
    expect(run.named(ACTIVITY.scoreMiniBatch).map((c) => (c.input as MiniBatchRef).index).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(run.finish[0]).toMatchObject({ outcome: 'Completed', plan: PLAN, totals: { miniBatchesSucceeded: 5, itemsSucceeded: 10 } });
  });

  it('fails the job with the error of planRest called by the first chunk', async () => {
    const error = { code: 'InputChanged', message: 'the input changed' };
    const run = await runJob({ prepare: () => ({ ok: true, plan: { ...PLAN, totalFiles: 2, miniBatches: 1 }, complete: false }), planRest: () => ({ ok: false, error }) });
    expect(chunkIds(run)).toEqual([0]);
    expect(run.finish).toHaveLength(1);
    expect(run.finish[0]).toMatchObject({ outcome: 'Failed', error, totals: { itemsSucceeded: 2 } });
  });

  it('fails the job with planRest\'s error and scores nothing more', async () => {
    const error = { code: 'InputChanged', message: 'the input changed' };
    const run = await runJob({
      prepare: () => ({ ok: true, plan: { ...PLAN, totalFiles: 4, miniBatches: 2 }, complete: false }),
      planRest: () => ({ ok: false, error }),
    });
    expect(chunkIds(run)).toEqual([0]);
    expect(run.finish).toHaveLength(1);
    expect(run.finish[0]).toMatchObject({ outcome: 'Failed', error, totals: { itemsSucceeded: 4 } });
  });

  it('fails with ErrorThresholdExceeded when a chunk stops at the threshold, and starts no other chunk', async () => {
    const run = await runJob({ plan: { errorThreshold: 1 }, scoreMiniBatch: () => scored(2, 2) });
    expect(chunkIds(run)).toEqual([0]);
    expect(run.finish[0]!.outcome).toBe('Failed');
    expect(run.finish[0]!.error?.code).toBe('ErrorThresholdExceeded');
    expect(run.finish[0]!.error?.message).toContain('more than the error threshold of 1');
    expect(run.output).toBe('Failed');
  });

  it('finishes as Canceled when prepare finds the job canceled, without scoring', async () => {
    const run = await runJob({ prepare: () => ({ ok: false, canceled: true }) });
    expect(chunkIds(run)).toEqual([]);
    expect(run.finish).toEqual([{ ...REF, outcome: 'Canceled' }]);
    expect(run.output).toBe('Canceled');
  });

  it('fails with prepare\'s error when the input cannot be listed', async () => {
    const error = { code: 'InputNotFound', message: 'no such folder' };
    const run = await runJob({ prepare: () => ({ ok: false, error }) });
    expect(run.finish).toEqual([{ ...REF, outcome: 'Failed', error }]);
  });

  it('finishes as Canceled when a mini-batch sees the cancel, and starts no other chunk', async () => {
    const run = await runJob({ scoreMiniBatch: (ref: MiniBatchRef) => (ref.index === 1 ? { ...scored(0), canceled: true } : scored(2)) });
    expect(chunkIds(run)).toEqual([0]);
    expect(run.finish[0]).toMatchObject({ outcome: 'Canceled' });
    expect(run.finish[0]!.error).toBeUndefined();
  });

  it('fails with the scorer\'s own error when the scorer cannot start', async () => {
    const fatal = { code: 'ModelInvalid', message: 'the model cannot be loaded' };
    const run = await runJob({ scoreMiniBatch: () => ({ succeededItems: 0, failedItems: 2, outputRows: 0, fatal }) });
    expect(chunkIds(run)).toEqual([0]);
    expect(run.finish[0]).toMatchObject({ outcome: 'Failed', error: fatal });
  });

  it('seals each part chunk while the next chunk scores, and the last one before finish', async () => {
    const run = await runJob({ plan: { partsFromChunk: 1 } });
    expect(run.named(ACTIVITY.sealPart).map((c) => c.input as SealPartRequest)).toEqual([
      { ...REF, chunk: 1, from: 2, to: 4 },
      { ...REF, chunk: 2, from: 4, to: 5 },
    ]);
    // Chunk 1's seal is scheduled in the same episode as chunk 2.
    const scheduledWith = run.episodes.find((e) => e.scheduling.some((s) => s.Name === ACTIVITY.sealPart))!.scheduling.map((s) => s.Name);
    expect(scheduledWith).toEqual([ORCHESTRATION.chunk, ACTIVITY.sealPart]);
    const names = run.calls.map((c) => c.name);
    expect(names.lastIndexOf(ACTIVITY.sealPart)).toBeLessThan(names.indexOf(ACTIVITY.finish));
    expect(run.finish[0]!.outcome).toBe('Completed');
  });

  it('fails the job (once, SystemError) when a seal fails for good, after the chunk scoring beside it ended', async () => {
    const run = await runJob({
      plan: { partsFromChunk: 0 },
      // The seal's failures arrive while chunk 1 still scores.
      early: (e) => e.EventType !== EventType.SubOrchestrationInstanceCompleted,
      sealPart: () => {
        throw new Error('the part blob is gone');
      },
    });
    // Retried 3 times, as every idempotent job activity is.
    expect(run.named(ACTIVITY.sealPart).map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(run.finish).toHaveLength(1);
    expect(run.finish[0]!.outcome).toBe('Failed');
    expect(run.finish[0]!.error).toMatchObject({ code: 'SystemError' });
    expect(run.finish[0]!.error!.message).toContain('the part blob is gone');
    // finish deletes the plan and parts: it is scheduled only after chunk 1 (scoring beside the
    // failed seal) has ended.
    const finishAt = run.history.findIndex((e) => e.EventType === EventType.TaskScheduled && e.Name === ACTIVITY.finish);
    const chunk1 = run.history.find((e) => e.EventType === EventType.SubOrchestrationInstanceCreated && e.InstanceId === 'job-1-chunk-1')!;
    const chunk1Done = run.history.findIndex((e) => e.EventType === EventType.SubOrchestrationInstanceCompleted && e.TaskScheduledId === chunk1.EventId);
    expect(chunk1Done).toBeGreaterThan(-1);
    expect(chunk1Done).toBeLessThan(finishAt);
    expect(chunkIds(run)).toEqual([0, 2]);
  });

  it('still ends the job when finish itself fails once: the last resort finish records a SystemError', async () => {
    const run = await runJob({
      finish: (request: FinishRequest, attempt: number) => {
        if (request.outcome === 'Completed' && attempt <= 3) throw new Error('logs could not be written');
        return request.outcome;
      },
    });
    expect(run.finish.map((f) => f.outcome)).toEqual(['Completed', 'Completed', 'Completed', 'Failed']);
    expect(run.finish[3]!.error?.message).toContain('logs could not be written');
    expect(run.output).toBe('Failed');
  });
});
