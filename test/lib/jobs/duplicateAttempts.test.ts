import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { createJobActivities, type JobActivities, type JobActivityDeps } from '../../../lib/jobs/activities';
import { newJobId } from '../../../lib/jobs/jobId';
import type { JobStore } from '../../../lib/jobs/jobStore';
import { MiniBatchStore } from '../../../lib/jobs/miniBatchStore';
import { storageClients } from '../../../lib/storage/clients';
import { ScorerPool } from '../../../lib/scoring/runtime/scorerPool';
import { jobRecord } from './fixtures';
import { preparedOneFileJob, realActivityDeps } from './realDeps';

// Durable runs an activity at least once, sometimes twice at the same time on two instances: a
// duplicate of a mini-batch that fails (a storage hiccup on its instance) after its twin succeeded
// must not take the twin's rows out of the output. Real Azurite, scorer pool and Iris model.

let workspace: ContainerClient;
let jobs: JobStore;
const scorer = new ScorerPool({ maxWorkers: 1 });
let deps: JobActivityDeps;
let activities: JobActivities;

beforeAll(async () => {
  ({ deps, workspace } = await realActivityDeps('libdup', scorer));
  jobs = deps.jobs;
  activities = createJobActivities(deps);
});
afterAll(() => scorer.close());

/** A real MiniBatchStore whose next record waits: the execution has staged its blocks and not yet written its row. */
class HeldRecords extends MiniBatchStore {
  reached!: () => void;
  readonly atRecord = new Promise<void>((resolve) => (this.reached = resolve));
  release!: () => void;
  private readonly held = new Promise<void>((resolve) => (this.release = resolve));
  override async record(...args: Parameters<MiniBatchStore['record']>): ReturnType<MiniBatchStore['record']> {
    this.reached();
    await this.held;
    return super.record(...args);
  }
}

describe('a duplicate mini-batch attempt', () => {
  it('that fails after its twin succeeded leaves the twin\'s rows in the output', async () => {
    const { record, ref, plan } = await preparedOneFileJob(jobs, activities);
    for (const index of [0, 1, 2]) await activities.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize });
    // The same delivery of mini-batch 1 runs on another instance, whose storage answers 503. Its
    // result may reach Durable first (messages arrive out of order), and for the last attempt a
    // failure would count the mini-batch's items failed while its rows are in the output: it
    // reports the twin's recorded success instead, as a second success does.
    const otherInstance = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    expect(await otherInstance.scoreMiniBatch({ ...ref, index: 1, chunkSize: plan.chunkSize })).toEqual({ succeededItems: 1, failedItems: 0, outputRows: 1 });
    expect(await deps.miniBatches.tryGet(record.jobId, 1)).toMatchObject({ status: 'Succeeded', succeededItems: 1 });
    // The orchestrator counted three succeeded mini-batches: the output has all three rows.
    const totals = { miniBatchesSucceeded: 3, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
    expect(await activities.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
    const output = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString();
    expect(output.trimEnd().split('\n')).toEqual(['0,0,f0.csv', '0,0,f1.csv', '0,0,f2.csv']);
  });

  it('that fails while its twin records a success reports the twin\'s success', async () => {
    const { record, ref, plan } = await preparedOneFileJob(jobs, activities);
    const input = { ...ref, index: 0, chunkSize: plan.chunkSize };
    /** A real MiniBatchStore; just before the failing execution records its end, its twin scores and records a success. */
    class TwinBetween extends MiniBatchStore {
      override async record(...args: Parameters<MiniBatchStore['record']>): ReturnType<MiniBatchStore['record']> {
        expect(await activities.scoreMiniBatch(input)).toEqual({ succeededItems: 1, failedItems: 0, outputRows: 1 });
        return super.record(...args);
      }
    }
    const failing = createJobActivities({
      ...deps,
      miniBatches: new TwinBetween(storageClients({ connectionString: inject('storageConnectionString') }).table('libdupmb')),
      downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })),
    });
    expect(await failing.scoreMiniBatch(input)).toEqual({ succeededItems: 1, failedItems: 0, outputRows: 1 });
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Succeeded', succeededItems: 1, attempts: 1 });
  });

  it('that fails with no twin recorded yet is still recorded as failed', async () => {
    const { record, ref, prepared } = await preparedOneFileJob(jobs, activities);
    const flaky = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    const input = { ...ref, index: 0, chunkSize: prepared.plan.chunkSize };
    await expect(flaky.scoreMiniBatch({ ...input, attempt: 1 })).rejects.toThrow('ServerBusy');
    await expect(flaky.scoreMiniBatch({ ...input, attempt: 2 })).rejects.toThrow('ServerBusy');
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Failed', attempts: 2, error: { code: 'ServerBusy' } });
    // A retry that succeeds replaces the failure.
    await activities.scoreMiniBatch({ ...input, attempt: 3 });
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Succeeded', succeededItems: 1, attempts: 3 });
  });

  // The other order: the failure is recorded first. Durable may hand the orchestrator either
  // result first; on the last attempt a success recorded after the failure would put the
  // mini-batch's rows in the output while the orchestrator counted its items failed.
  it('that succeeds after its twin recorded the attempt\'s failure reports the failure, and its rows stay out of the output', async () => {
    const { record, ref, plan } = await preparedOneFileJob(jobs, activities);
    for (const index of [0, 2]) await activities.scoreMiniBatch({ ...ref, index, chunkSize: plan.chunkSize, attempt: 1 });
    const input = { ...ref, index: 1, chunkSize: plan.chunkSize, attempt: 1 };
    const held = new HeldRecords(storageClients({ connectionString: inject('storageConnectionString') }).table('libdupmb'));
    const succeeding = createJobActivities({ ...deps, miniBatches: held }).scoreMiniBatch(input);
    succeeding.catch(() => undefined);
    await held.atRecord;
    // Its twin, on an instance whose storage answers 503, fails and records it first.
    const failing = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(failing.scoreMiniBatch(input)).rejects.toThrow('mini-batch 1 attempt 1: ServerBusy');
    held.release();
    await expect(succeeding).rejects.toThrow('mini-batch 1 attempt 1: ServerBusy: 503 Server Busy');
    expect(await deps.miniBatches.tryGet(record.jobId, 1)).toMatchObject({ status: 'Failed', attempts: 1, succeededItems: 0 });
    // This was the last attempt: the orchestrator counts mini-batch 1 failed, and the output agrees.
    const totals = { miniBatchesSucceeded: 2, miniBatchesFailed: 1, itemsSucceeded: 2, itemsFailed: 1 };
    expect(await activities.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
    const output = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString();
    expect(output.trimEnd().split('\n')).toEqual(['0,0,f0.csv', '0,0,f2.csv']);
  });

  it('that starts after its twin recorded the attempt\'s failure scores nothing and reports the failure', async () => {
    const { record, ref, plan } = await preparedOneFileJob(jobs, activities);
    const input = { ...ref, index: 0, chunkSize: plan.chunkSize, attempt: 1 };
    const failing = createJobActivities({ ...deps, downloadInputFile: () => Promise.reject(Object.assign(new Error('503 Server Busy'), { code: 'ServerBusy' })) });
    await expect(failing.scoreMiniBatch(input)).rejects.toThrow('ServerBusy');
    // The same delivery runs late on a healthy instance: it is attempt 1 still, not a retry.
    await expect(activities.scoreMiniBatch(input)).rejects.toThrow('mini-batch 0 attempt 1: ServerBusy: 503 Server Busy');
    expect(await deps.miniBatches.tryGet(record.jobId, 0)).toMatchObject({ status: 'Failed', attempts: 1, succeededItems: 0 });
  });
});

// Two executions of one mini-batch at the same time (Durable delivers an activity twice, on two
// instances) whose scoring differs: another run id in every row, another number of rows and so of
// blocks. The first success recorded must win whole; the other's staged blocks must never mix in.
describe('two concurrent executions of a mini-batch that score differently', () => {
  const code = mkdtempSync(join(tmpdir(), 'libdup-code-'));
  afterAll(() => rmSync(code, { recursive: true, force: true }));
  // Each run writes its own id in every row; the first run of the job writes 10,000 rows a file, later ones 3.
  writeFileSync(join(code, 'score.js'), `'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { randomUUID } = require('node:crypto');
exports.init = async () => {};
exports.run = async (miniBatch, context) => {
  fs.appendFileSync(context.params.turns, 'x');
  const rows = fs.readFileSync(context.params.turns, 'utf8').length === 1 ? 10000 : 3;
  const run = randomUUID();
  return miniBatch.flatMap((file) => Array.from({ length: rows }, (_, i) => [run, i, path.basename(file)]));
};
`);

  for (const through of ['the output blob', 'parts'] as const) {
    it(`commits exactly one execution's rows, whole (through ${through})`, async () => {
      const record = jobRecord('ep', newJobId());
      record.spec.settings = { ...record.spec.settings, miniBatchSize: 3 };
      record.spec.scoringScript = 'score.js';
      record.spec.params = { turns: join(code, `${record.jobId}.turns`) };
      await jobs.create(record);
      // A script's lines leave the worker 10,000 at a time: with small blocks the first run stages 3
      // blocks, the second 1, under ids it would share with the first's before the fix.
      const tuning = { ...deps.tuning, outputBlockBytes: 100, directOutputBlocks: through === 'parts' ? 0 : 100 };
      const base = { ...deps, tuning, localCode: async () => code };
      const one = createJobActivities(base);
      const ref = { endpointName: 'ep', jobId: record.jobId };
      const prepared = await one.prepare(ref);
      if (!prepared.ok) throw new Error('prepare failed');
      const { plan } = prepared;
      expect(plan.miniBatches).toBe(1);
      expect(plan.partsFromChunk === 0).toBe(through === 'parts');
      const input = { ...ref, index: 0, chunkSize: plan.chunkSize, ...(through === 'parts' ? { toPart: true as const } : {}) };
      const held = new HeldRecords(storageClients({ connectionString: inject('storageConnectionString') }).table('libdupmb'));
      // Execution A scores (10,000 rows a file) and stages its blocks, then stops before its row.
      const a = createJobActivities({ ...base, miniBatches: held }).scoreMiniBatch(input);
      await held.atRecord;
      // Execution B, on another instance, scores (3 rows a file), stages and records first.
      const b = await createJobActivities(base).scoreMiniBatch(input);
      held.release();
      const aOutcome = await a;
      if (through === 'parts') await one.sealPart({ ...ref, chunk: 0, from: 0, to: 1 });
      const totals = { miniBatchesSucceeded: 1, miniBatchesFailed: 0, itemsSucceeded: 3, itemsFailed: 0 };
      expect(await one.finish({ ...ref, plan, totals, outcome: 'Completed' })).toBe('Completed');
      const lines = (await workspace.getBlobClient(record.spec.output.path).downloadToBuffer()).toString().trimEnd().split('\n');
      const runs = new Set(lines.map((line) => line.split(',')[0]));
      expect(runs.size, `rows of ${runs.size} executions in the output`).toBe(1);
      // B's rows, whole and in order: 3 files, rows 0-2 of each.
      expect(lines.map((line) => line.split(',').slice(1).join(','))).toEqual(['f0.csv', 'f1.csv', 'f2.csv'].flatMap((f) => [0, 1, 2].map((i) => `${i},${f}`)));
      const row = await deps.miniBatches.tryGet(record.jobId, 0);
      expect(row).toMatchObject({ status: 'Succeeded', succeededItems: 3, outputRows: 9 });
      // The orchestrator keeps whichever result arrives first: both tell the recorded counts.
      expect(b).toMatchObject({ succeededItems: 3, outputRows: 9 });
      expect(aOutcome).toMatchObject({ succeededItems: 3, outputRows: 9 });
    });
  }
});
