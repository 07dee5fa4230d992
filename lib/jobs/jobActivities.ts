import { messageOf } from '../util/messageOf';
import { mapLimited } from '../util/mapLimited';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockBlobClient } from '@azure/storage-blob';
import { ZERO_TOTALS, type FinishRequest, type JobPlan, type JobRef, type MiniBatchOutcome, type MiniBatchRef, type PrepareResult, type ProgressUpdate, type SealPartRequest, type Totals } from './contracts';
import type { MiniBatchResult, MiniBatchTask, ScorerSpec } from '../scoring/runtime/types';
import { errorReport, progressOverview } from './jobLogs';
import type { JobStore } from './jobStore';
import { isTerminal } from './status';
import type { MiniBatchRecord, MiniBatchStore } from './miniBatchStore';
import type { PlanManifest } from './planManifest';
import { assembleOutput, committedBy, OutputTooLargeError, sealPart as sealOutputPart } from '../output/assembly';
import { OutputExistsError, stageOutputBlock } from '../output/blocks';
import { firstPartChunk, mostMiniBatches, type OutputParts } from '../output/parts';
import { planMiniBatches } from './plan';
import type { InputFile, JobDataInput, JobOutputLocation, JobProgress, JobRecord, JobSpec } from './types';

/** What the job activities need from the outside world; the composition root supplies it. */
export interface JobActivityDeps {
  jobs: JobStore;
  miniBatches: MiniBatchStore;
  plans: PlanManifest;
  parts: OutputParts;
  listInputFiles(input: JobDataInput): Promise<InputFile[]>;
  /** The first `enough` files in the same order, and whether that is all of them. */
  listFirstInputFiles(input: JobDataInput, enough: number): Promise<{ files: InputFile[]; complete: boolean }>;
  downloadInputFile(file: InputFile, destDir: string): Promise<string>;
  outputBlob(location: JobOutputLocation): Promise<BlockBlobClient>;
  /** Writes `logs/<name>` for the job; returns the logs folder URI. */
  writeLog(jobId: string, name: string, text: string): Promise<string>;
  /** Local copies of the job's model and code (cached per asset version). */
  localModel(spec: JobSpec): Promise<string>;
  localCode(spec: JobSpec): Promise<string | undefined>;
  scorer: {
    run(spec: ScorerSpec, task: MiniBatchTask): Promise<MiniBatchResult>;
    warm(spec: ScorerSpec, workers: number, params: Record<string, string>): Promise<void>;
  };
  workDir: string;
  tuning: { chunkSize: number; retryDelayMs: number; progressIntervalMs: number; downloadConcurrency: number; directOutputBlocks: number };
  now(): Date;
}


/** Setup failures that no retry can fix: every mini-batch would fail with the same one. */
const SETUP_FAILURES = new Set(['ScriptNotFound', 'ScriptInvalid', 'ModelInvalid', 'AssetNotFound', 'AssetTooLarge', 'InvalidAsset', 'InputNotAllowed', 'InvalidInputPath']);

const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'SystemError';
};

/** A listing failure as the job shows it: the storage code, or InputError. */
const inputError = (err: unknown) => ({ ok: false as const, error: { code: codeOf(err) === 'SystemError' ? 'InputError' : codeOf(err), message: messageOf(err) } });

function progressOf(plan: Pick<JobPlan, 'miniBatches' | 'totalFiles'>, totals: Totals): JobProgress {
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
    // Running too: a re-run (after a crash, or a retry) finds the status the first run left.
    const preparing = await jobs.update(ref.endpointName, ref.jobId, (current) => ({ status: 'Preparing', startTime: current.startTime ?? deps.now().toISOString() }), { step: 'prepare' });
    if (!preparing.applied) return { ok: false, canceled: preparing.record.status === 'CancelRequested' || preparing.record.status === 'Canceled' };
    const { spec } = preparing.record;
    // Download the model and code and start the scoring workers while the input is listed.
    const parallelism = spec.settings.instanceCount * spec.settings.maxConcurrencyPerInstance;
    // Not awaited: a scorer that cannot start is reported by the first mini-batch (fatal outcome).
    void scorerSpecOf(spec)
      .then((scorerSpec) => deps.scorer.warm(scorerSpec, parallelism, spec.params))
      .catch(() => undefined);
    // The first chunk is planned from the first listing page, so scoring starts at once; a big
    // input's other pages are listed (planRest) while the first chunk runs.
    const firstFiles = deps.tuning.chunkSize * spec.settings.miniBatchSize;
    let listed: { files: InputFile[]; complete: boolean };
    try {
      listed = await deps.listFirstInputFiles(spec.input, firstFiles);
    } catch (err) {
      return inputError(err);
    }
    const planned = await planFiles(ref, spec, listed.files, 0);
    if (!planned.ok) return planned;
    const { plan } = planned;
    const running = await jobs.update(ref.endpointName, ref.jobId, { status: 'Running', progress: progressOf(plan, ZERO_TOTALS) }, { step: 'run' });
    if (!running.applied) return { ok: false, canceled: running.record.status === 'CancelRequested' };
    return { ok: true, plan, complete: listed.complete };
  }

  /** Splits files into mini-batches numbered from `firstIndex` and writes their chunks of the plan. */
  async function planFiles(
    ref: JobRef,
    spec: JobSpec,
    files: InputFile[],
    firstIndex: number,
    totalFiles = files.length,
    // The layout a job started with stays its layout, whatever this host's settings say.
    layout: { chunkSize: number; partsFromChunk?: number } = {
      chunkSize: deps.tuning.chunkSize,
      ...(spec.settings.outputAction === 'AppendRow' ? { partsFromChunk: firstPartChunk(deps.tuning.chunkSize, deps.tuning.directOutputBlocks) } : {}),
    },
  ): Promise<{ ok: true; plan: JobPlan } | { ok: false; error: { code: string; message: string } }> {
    const size = spec.settings.miniBatchSize;
    const batches = planMiniBatches(files, size);
    const totalBatches = firstIndex + batches.length;
    const { chunkSize, partsFromChunk } = layout;
    if (partsFromChunk !== undefined) {
      const most = mostMiniBatches(chunkSize, partsFromChunk);
      if (totalBatches > most) {
        const fits = Math.ceil(totalFiles / most);
        const message = `${totalFiles} files make ${totalBatches} mini-batches of ${size}; an append_row output holds at most ${most}. Set miniBatchSize to ${fits} or more.`;
        return { ok: false, error: { code: 'TooManyMiniBatches', message } };
      }
    }
    const chunks: [InputFile[][], number][] = [];
    for (let i = 0; i < batches.length; i += chunkSize) chunks.push([batches.slice(i, i + chunkSize), (firstIndex + i) / chunkSize]);
    await mapLimited(chunks, 8, ([chunk, index]) => deps.plans.write(ref.jobId, index, chunk));
    const plan: JobPlan = {
      totalFiles,
      miniBatches: totalBatches,
      miniBatchSize: size,
      parallelism: spec.settings.instanceCount * spec.settings.maxConcurrencyPerInstance,
      errorThreshold: spec.settings.errorThreshold,
      maxRetries: spec.settings.maxRetries,
      retryDelayMs: deps.tuning.retryDelayMs,
      chunkSize,
      progressIntervalMs: deps.tuning.progressIntervalMs,
      ...(partsFromChunk !== undefined ? { partsFromChunk } : {}),
    };
    return { ok: true, plan };
  }

  /**
   * Lists the whole input and plans what the first page did not cover. The files already planned
   * must still come first (the input must not change under a running job).
   */
  async function planRest(input: JobRef & { plan: JobPlan }): Promise<PrepareResult> {
    const { spec } = await job(input);
    let files: InputFile[];
    try {
      files = await deps.listInputFiles(spec.input);
    } catch (err) {
      return inputError(err);
    }
    const first = (await deps.plans.read(input.jobId, 0)).flat();
    if (first.some((f, i) => files[i]?.name !== f.name)) {
      return { ok: false, error: { code: 'InputChanged', message: `The input ${spec.input.uri} changed while the job was starting (files were added or removed among the first ones); run the job again.` } };
    }
    const planned = await planFiles(input, spec, files.slice(input.plan.totalFiles), input.plan.miniBatches, files.length, input.plan);
    if (!planned.ok) return planned;
    const { plan } = planned;
    await jobs.update(input.endpointName, input.jobId, (current) => ({
      progress: progressOf(plan, current.progress),
    }), { step: 'progress' });
    return { ok: true, plan, complete: true };
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
    // A job being canceled, or one that has ended (its orchestration terminated or failed): stop.
    if (record.status === 'CancelRequested' || isTerminal(record.status)) return { succeededItems: 0, failedItems: 0, outputRows: 0, canceled: true };
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
        const target = input.toPart ? deps.parts.blob(input.jobId, chunk) : await deps.outputBlob(spec.output);
        blockId = await stageOutputBlock(target, input.jobId, input.index, result.output);
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
      // A scorer that cannot even start fails every mini-batch the same way: no retry, stop the job.
      if (SETUP_FAILURES.has(error.code)) return { succeededItems: 0, failedItems: files.length, outputRows: 0, fatal: { code: error.code, message: error.message } };
      throw new Error(`mini-batch ${input.index} attempt ${attempt}: ${error.code}: ${error.message}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function reportProgress(update: ProgressUpdate): Promise<void> {
    // Counts only: the totals may have grown since this chunk started (planRest).
    await jobs.update(update.endpointName, update.jobId, (current) => {
      const { miniBatchesTotal, itemsTotal } = current.progress;
      return { progress: progressOf({ miniBatches: miniBatchesTotal, totalFiles: itemsTotal }, update.totals) };
    }, { step: 'progress' });
  }

  /** A chunk that writes through a part is done: commit the part and stage it on the output blob. */
  async function sealPart(request: SealPartRequest): Promise<number> {
    const { spec } = await job(request);
    return sealOutputPart(deps, request.jobId, { index: request.chunk, from: request.from, to: request.to }, await deps.outputBlob(spec.output));
  }

  /** True when the job's output is committed by this job, or it writes none (SummaryOnly). */
  async function outputDone(record: JobRecord): Promise<boolean> {
    if (record.spec.settings.outputAction !== 'AppendRow') return true;
    return committedBy(await deps.outputBlob(record.spec.output), record.jobId);
  }

  /** Ends the job: on success commits the output once, then writes the logs and the final status. */
  async function finish(request: FinishRequest): Promise<string> {
    const record = await job(request);
    // A re-run after the final status was written (a crash before Durable recorded the result):
    // the job has ended; only the clean-up may still be owed.
    if (isTerminal(record.status)) {
      await deps.plans.deleteJob(request.jobId).catch(() => undefined);
      return record.status;
    }
    let outcome = request.outcome;
    let error = request.error;
    // Finalizing is reached only once every mini-batch is done. Another outcome then comes from the
    // orchestrator's last resort after a finish that failed (its logs could not be written): if the
    // output was committed, or there is none to commit, the job did complete; logs are best effort.
    const recovered = outcome !== 'Completed' && record.status === 'Finalizing' && (await outputDone(record));
    if (recovered) {
      outcome = 'Completed';
      error = undefined;
    }
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
    if (outcome === 'Completed' && !recovered) {
      await jobs.update(request.endpointName, request.jobId, { status: 'Finalizing', progress }, { step: 'finalize' });
      if (record.spec.settings.outputAction === 'AppendRow') {
        if (!request.plan) throw new Error('a completed job must report its plan');
        try {
          await assembleOutput(deps, await deps.outputBlob(record.spec.output), request.jobId, request.plan);
        } catch (err) {
          if (!(err instanceof OutputExistsError || err instanceof OutputTooLargeError)) throw err;
          outcome = 'Failed';
          error = { code: err.code, message: err.message };
        }
      }
    }
    const endTime = deps.now();
    const finalRecord: JobRecord = { ...record, progress: progress ?? record.progress, error };
    const writeLogs = async () => {
      await deps.writeLog(request.jobId, 'job_progress_overview.txt', progressOverview(finalRecord, outcome, endTime));
      return deps.writeLog(request.jobId, 'user/error.txt', errorReport(problems));
    };
    const logsUri = await writeLogs().catch((err: unknown) => {
      if (recovered) return undefined;
      throw err;
    });
    await jobs.update(request.endpointName, request.jobId, { status: outcome, error, progress, endTime: endTime.toISOString(), logsUri });
    // The plan and parts are needed by nothing once the job has ended. Best effort: a leftover
    // is only storage, and a failure here must not turn a finished job into a failed one.
    await deps.plans.deleteJob(request.jobId).catch(() => undefined);
    return outcome;
  }

  return { prepare, planRest, scoreMiniBatch, reportProgress, sealPart, finish };
}
