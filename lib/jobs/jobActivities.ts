import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockBlobClient } from '@azure/storage-blob';
import type { FinishRequest, JobPlan, JobRef, MiniBatchOutcome, MiniBatchRef, PrepareResult, ProgressUpdate, Totals } from './contracts';
import type { MiniBatchResult, MiniBatchTask, ScorerSpec } from '../scoring/runtime/types';
import { errorReport, progressOverview } from './jobLogs';
import type { JobStore } from './jobStore';
import type { MiniBatchRecord, MiniBatchStore } from './miniBatchStore';
import type { PlanManifest } from './planManifest';
import { commitOutput, OutputExistsError, stageOutputBlock } from './outputBlocks';
import { MAX_OUTPUT_BLOCKS, planMiniBatches } from './plan';
import type { InputFile, JobDataInput, JobOutputLocation, JobProgress, JobRecord, JobSpec } from './types';

/** What the job activities need from the outside world; the composition root supplies it. */
export interface JobActivityDeps {
  jobs: JobStore;
  miniBatches: MiniBatchStore;
  plans: PlanManifest;
  listInputFiles(input: JobDataInput): Promise<InputFile[]>;
  downloadInputFile(file: InputFile, destDir: string): Promise<string>;
  outputBlob(location: JobOutputLocation): Promise<BlockBlobClient>;
  /** Writes `logs/<name>` for the job; returns the logs folder URI. */
  writeLog(jobId: string, name: string, text: string): Promise<string>;
  /** Local copies of the job's model and code (cached per asset version). */
  localModel(spec: JobSpec): Promise<string>;
  localCode(spec: JobSpec): Promise<string | undefined>;
  scorer: {
    run(spec: ScorerSpec, task: MiniBatchTask): Promise<MiniBatchResult>;
    warm(spec: ScorerSpec, workers: number, params: Record<string, string>): Promise<{ code: string; message: string } | undefined>;
  };
  workDir: string;
  tuning: { chunkSize: number; retryDelayMs: number; progressIntervalMs: number; downloadConcurrency: number };
  now(): Date;
}


/** Setup failures that no retry can fix; the first mini-batch would fail with the same one. */
const SETUP_FAILURES = new Set(['ScriptNotFound', 'ScriptInvalid', 'ModelInvalid', 'AssetNotFound', 'AssetTooLarge', 'InvalidAsset', 'InputNotAllowed', 'InvalidInputPath']);

const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'SystemError';
};
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function progressOf(plan: JobPlan, totals: Totals): JobProgress {
  return {
    miniBatchesTotal: plan.miniBatches,
    miniBatchesSucceeded: totals.miniBatchesSucceeded,
    miniBatchesFailed: totals.miniBatchesFailed,
    miniBatchesPending: Math.max(0, plan.miniBatches - totals.miniBatchesSucceeded - totals.miniBatchesFailed),
    itemsTotal: plan.totalFiles,
    itemsSucceeded: totals.itemsSucceeded,
    itemsFailed: totals.itemsFailed,
  };
}

/** Runs `work` over `items` with at most `limit` at once, keeping order in the result. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * The batch job's activities, built from their dependencies (temporal-style factory), so tests
 * and the Functions entry points wire the same code.
 */
export function createJobActivities(deps: JobActivityDeps) {
  const { jobs, miniBatches } = deps;
  const job = (ref: JobRef): Promise<JobRecord> => jobs.getOrThrow(ref.endpointName, ref.jobId);

  async function scorerSpecOf(spec: JobSpec): Promise<ScorerSpec> {
    const [modelPath, codeDir] = await Promise.all([deps.localModel(spec), deps.localCode(spec)]);
    return {
      kind: codeDir ? 'script' : 'tabular',
      modelPath,
      codeDir,
      scoringScript: spec.scoringScript,
      environmentVariables: spec.settings.environmentVariables,
      loggingLevel: spec.settings.loggingLevel,
    };
  }

  /** Lists the input, plans mini-batches and records them; the job moves to Running. */
  async function prepare(ref: JobRef): Promise<PrepareResult> {
    const record = await job(ref);
    if (record.status === 'CancelRequested' || record.status === 'Canceled') return { ok: false, canceled: true };
    const preparing = await jobs.update(ref.endpointName, ref.jobId, { status: 'Preparing', startTime: deps.now().toISOString() }, { ifStatusIn: ['NotStarted', 'Preparing'] });
    if (!preparing.applied) return { ok: false, canceled: preparing.record.status === 'CancelRequested' };
    const { spec } = record;
    // Download the model and code and start the scoring workers while the input is listed.
    const parallelism = spec.settings.instanceCount * spec.settings.maxConcurrencyPerInstance;
    const warming = scorerSpecOf(spec).then(
      (scorerSpec) => deps.scorer.warm(scorerSpec, parallelism, spec.params),
      (err: unknown) => ({ code: codeOf(err) === 'SystemError' ? 'AssetError' : codeOf(err), message: messageOf(err) }),
    );
    warming.catch(() => undefined);
    let files: InputFile[];
    try {
      files = await deps.listInputFiles(spec.input);
    } catch (err) {
      return { ok: false, error: { code: codeOf(err) === 'SystemError' ? 'InputError' : codeOf(err), message: messageOf(err) } };
    }
    // A scorer that cannot even start (no such script, a broken module or model) fails every
    // mini-batch the same way: fail the job now, with the scorer's own message.
    const setup = await warming;
    if (setup && SETUP_FAILURES.has(setup.code)) return { ok: false, error: { code: setup.code, message: setup.message } };
    const batches = planMiniBatches(files, spec.settings.miniBatchSize);
    if (spec.settings.outputAction === 'AppendRow' && batches.length > MAX_OUTPUT_BLOCKS) {
      const size = Math.ceil(files.length / MAX_OUTPUT_BLOCKS);
      return {
        ok: false,
        error: {
          code: 'TooManyMiniBatches',
          message: `${files.length} files make ${batches.length} mini-batches of ${spec.settings.miniBatchSize}; an append_row output holds at most ${MAX_OUTPUT_BLOCKS}. Set miniBatchSize to ${size} or more.`,
        },
      };
    }
    const chunks: InputFile[][][] = [];
    for (let i = 0; i < batches.length; i += deps.tuning.chunkSize) chunks.push(batches.slice(i, i + deps.tuning.chunkSize));
    await mapLimited(chunks.map((c, i) => [c, i] as const), 8, ([chunk, i]) => deps.plans.write(ref.jobId, i, chunk));
    const plan: JobPlan = {
      totalFiles: files.length,
      miniBatches: batches.length,
      miniBatchSize: spec.settings.miniBatchSize,
      parallelism: spec.settings.instanceCount * spec.settings.maxConcurrencyPerInstance,
      errorThreshold: spec.settings.errorThreshold,
      maxRetries: spec.settings.maxRetries,
      retryDelayMs: deps.tuning.retryDelayMs,
      chunkSize: deps.tuning.chunkSize,
      progressIntervalMs: deps.tuning.progressIntervalMs,
    };
    const running = await jobs.update(ref.endpointName, ref.jobId, { status: 'Running', progress: progressOf(plan, { miniBatchesSucceeded: 0, miniBatchesFailed: 0, itemsSucceeded: 0, itemsFailed: 0 }) }, { ifStatusIn: ['Preparing'] });
    if (!running.applied) return { ok: false, canceled: running.record.status === 'CancelRequested' };
    return { ok: true, plan };
  }

  /** Downloads one mini-batch, scores it in the worker pool and stages its output block. */
  // The spec never changes after invoke; the status is re-read at most once a second per job, so
  // a cancel is seen within about a second without a table read per mini-batch.
  const recent = new Map<string, { at: number; record: Promise<JobRecord> }>();
  function recentJob(ref: JobRef): Promise<JobRecord> {
    const now = Date.now();
    const cached = recent.get(ref.jobId);
    if (cached && now - cached.at < 1000) return cached.record;
    const record = job(ref);
    record.catch(() => recent.delete(ref.jobId));
    recent.set(ref.jobId, { at: now, record });
    if (recent.size > 256) recent.delete(recent.keys().next().value!);
    return record;
  }

  const attemptsSeen = new Map<string, number>();

  async function scoreMiniBatch(input: MiniBatchRef): Promise<MiniBatchOutcome> {
    const record = await recentJob(input);
    if (record.status === 'CancelRequested' || record.status === 'Canceled') return { succeededItems: 0, failedItems: 0, outputRows: 0, canceled: true };
    const { spec } = record;
    const chunk = Math.floor(input.index / input.chunkSize);
    const files = (await deps.plans.read(input.jobId, chunk))[input.index - chunk * input.chunkSize];
    if (!files) throw new Error(`mini-batch ${input.index} is not in the job's plan`);
    const dir = join(deps.workDir, input.jobId, `${input.index}-${randomBytes(6).toString('hex')}`);
    const started = Date.now();
    // Attempts are counted in this process (the row is written once, when the attempt ends); a
    // failed attempt also reads the row, so a mini-batch that fails for good shows them all.
    const key = `${input.jobId}/${input.index}`;
    let attempt = (attemptsSeen.get(key) ?? 0) + 1;
    attemptsSeen.set(key, attempt);
    if (attemptsSeen.size > 10_000) attemptsSeen.delete(attemptsSeen.keys().next().value!);
    try {
      await mkdir(dir, { recursive: true });
      const paths = await mapLimited(files, deps.tuning.downloadConcurrency, (file) => deps.downloadInputFile(file, dir));
      const downloaded = Date.now();
      const scorerSpec = await scorerSpecOf(spec);
      const result = await deps.scorer.run(scorerSpec, {
        files: paths.map((path, i) => ({ path, name: files[i]!.name })),
        params: spec.params,
        miniBatchIndex: input.index,
        timeoutMs: spec.settings.timeoutMs,
      });
      const scored = Date.now();
      let blockId: string | undefined;
      if (spec.settings.outputAction === 'AppendRow' && result.outputRows > 0) {
        blockId = await stageOutputBlock(await deps.outputBlob(spec.output), input.jobId, input.index, result.output);
      }
      // Where the time went, for the errors route and for tuning: download, scoring, output.
      const timings = { downloadMs: downloaded - started, scoreMs: scored - downloaded, workerMs: result.durationMs, stageMs: Date.now() - scored };
      attemptsSeen.delete(key);
      await miniBatches.record(input.jobId, input.index, files, {
        status: 'Succeeded',
        attempts: attempt,
        succeededItems: result.succeededItems,
        failedItems: result.failedItems,
        outputRows: result.outputRows,
        blockId: blockId ?? '',
        durationMs: Date.now() - started,
        timings,
        itemErrors: result.itemErrors,
      });
      return { succeededItems: result.succeededItems, failedItems: result.failedItems, outputRows: result.outputRows };
    } catch (err) {
      const previous = await miniBatches.tryGet(input.jobId, input.index).catch(() => undefined);
      attempt = Math.max(attempt, (previous?.attempts ?? 0) + 1);
      attemptsSeen.set(key, attempt);
      const error = { code: codeOf(err), message: messageOf(err), stack: (err as Error)?.stack, attempt };
      await miniBatches.record(input.jobId, input.index, files, { status: 'Failed', attempts: attempt, error, durationMs: Date.now() - started });
      throw new Error(`mini-batch ${input.index} attempt ${attempt}: ${error.code}: ${error.message}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function reportProgress(update: ProgressUpdate): Promise<void> {
    await jobs.update(update.endpointName, update.jobId, { progress: progressOf(update.plan, update.totals) }, { ifStatusIn: ['Running'] });
  }

  /** Ends the job: on success commits the output once, then writes the logs and the final status. */
  async function finish(request: FinishRequest): Promise<string> {
    const record = await job(request);
    let outcome = request.outcome;
    let error = request.error;
    const progress = request.plan && request.totals ? progressOf(request.plan, request.totals) : undefined;
    if (outcome === 'Completed' && record.status === 'CancelRequested') outcome = 'Canceled';
    const problems: MiniBatchRecord[] = [];
    for await (const mb of miniBatches.list(request.jobId, `(Status eq 'Failed' or FailedItems gt 0)`)) problems.push(mb);
    if (outcome === 'Completed' && request.totals && request.totals.itemsSucceeded === 0 && request.totals.itemsFailed > 0) {
      // Azure ML's "No succeeded mini batch item returned from run()": an empty output helps no one.
      const first = problems.find((p) => p.error) ?? problems[0];
      const reason = first?.error ? `${first.error.code}: ${first.error.message}` : first?.itemErrors?.[0]?.message;
      outcome = 'Failed';
      error = { code: 'NoSucceededItems', message: `No item succeeded (${request.totals.itemsFailed} failed)${reason ? `; the first failure: ${reason}` : ''}. See GET .../errors for each one.` };
    }
    if (outcome === 'Completed') {
      await jobs.update(request.endpointName, request.jobId, { status: 'Finalizing', progress }, { ifStatusIn: ['Running', 'Finalizing'] });
      if (record.spec.settings.outputAction === 'AppendRow') {
        const blocks: string[] = [];
        for await (const mb of miniBatches.list(request.jobId)) if (mb.status === 'Succeeded' && mb.blockId) blocks.push(mb.blockId);
        try {
          await commitOutput(await deps.outputBlob(record.spec.output), request.jobId, blocks);
        } catch (err) {
          if (!(err instanceof OutputExistsError)) throw err;
          outcome = 'Failed';
          error = { code: err.code, message: err.message };
        }
      }
    }
    const endTime = deps.now();
    const finalRecord: JobRecord = { ...record, progress: progress ?? record.progress, error };
    await deps.writeLog(request.jobId, 'job_progress_overview.txt', progressOverview(finalRecord, outcome, endTime));
    const logsUri = await deps.writeLog(request.jobId, 'user/error.txt', errorReport(problems));
    await jobs.update(request.endpointName, request.jobId, { status: outcome, error, progress, endTime: endTime.toISOString(), logsUri });
    return outcome;
  }

  return { prepare, scoreMiniBatch, reportProgress, finish };
}
