import { randomBytes } from 'node:crypto';
import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isFatal } from '../../util/fatal';
import type { JobRef, MiniBatchOutcome, MiniBatchRef } from '../contracts';
import { formatBlockRanges, newBlockTag, stageOutputBlock } from '../../output/blocks';
import { isTerminal } from '../status';
import type { JobRecord } from '../types';
import type { JobActivityDeps } from './deps';
import { messageOf } from '../../util/messageOf';
import { codeOf } from './errors';
import { miniBatchInputs } from './miniBatchInputs';
import { scorerSpecOf } from './scorerSpec';
import type { LogEntry } from '../../scoring/runtime/types';
import type { MiniBatchRecord } from '../miniBatchStore';

/**
 * What the scoring code wrote for one mini-batch (context.logger, console.*, already filtered by the
 * deployment's loggingLevel), to the host log and to the job's `logs/user/stdout/mini-batch-<n>.txt`
 * (Azure ML keeps a script's output under logs/user/stdout). A retry overwrites it with its own
 * attempt. Best effort: a log that cannot be written never fails the mini-batch.
 */
async function writeUserLog(deps: JobActivityDeps, job: JobRecord, index: number, attempt: number, logs: LogEntry[], failure?: string): Promise<void> {
  if (!logs.length && !failure) return;
  const prefix = `[job ${job.jobId} mini-batch ${index} attempt ${attempt}]`;
  for (const entry of logs) deps.log?.(entry.level, `${prefix} ${entry.message}`);
  const lines = logs.map((e) => `${e.level.toUpperCase()} ${e.message}`);
  if (failure) lines.push(`FAILED ${failure}`);
  const text = `# mini-batch ${index}, attempt ${attempt}\n${lines.join('\n')}\n`;
  await deps.writeLog(job.jobId, `user/stdout/mini-batch-${index}.txt`, text).catch((err: unknown) => deps.log?.('warning', `${prefix} could not write its log: ${messageOf(err)}`));
}

/**
 * What an execution reports when its attempt's outcome was kept by another execution (see
 * MiniBatchStore.record): the recorded success, whose rows are the output, or the recorded failure
 * of this attempt. A later attempt's row means the orchestrator has moved on and keeps no result
 * of this one.
 */
function reportKept(kept: MiniBatchRecord, index: number, attempt: number): MiniBatchOutcome {
  if (kept.status === 'Succeeded') return { succeededItems: kept.succeededItems, failedItems: kept.failedItems, outputRows: kept.outputRows };
  if (kept.attempts > attempt) throw new Error(`mini-batch ${index} attempt ${attempt}: attempt ${kept.attempts} has started since`);
  throw new Error(`mini-batch ${index} attempt ${attempt}: ${kept.error?.code ?? 'SystemError'}: ${kept.error?.message ?? 'failed'}`);
}

/** Downloads one mini-batch, scores it in the worker pool and stages its output block. */
export function scoreMiniBatchActivity(deps: JobActivityDeps) {
  // The spec never changes after invoke; the status is re-read at most once a second per job, so
  // a cancel is seen within about a second without a table read per mini-batch.
  const recent = new Map<string, { at: number; record: Promise<JobRecord> }>();
  function recentJob(ref: JobRef): Promise<JobRecord> {
    const now = Date.now();
    const cached = recent.get(ref.jobId);
    if (cached && now - cached.at < 1000) return cached.record;
    const record = deps.jobs.getOrThrow(ref.endpointName, ref.jobId);
    record.catch(() => recent.delete(ref.jobId));
    recent.set(ref.jobId, { at: now, record });
    if (recent.size > 256) recent.delete(recent.keys().next().value!);
    return record;
  }

  return async function scoreMiniBatch(input: MiniBatchRef): Promise<MiniBatchOutcome> {
    // The plan is read while the job's status is (both are cached: this matters for a host's first mini-batch).
    const planned = deps.plans.miniBatch(input.jobId, input.index, input.chunkSize);
    planned.catch(() => undefined); // awaited below unless the job is over
    const record = await recentJob(input);
    // A job being canceled, or one that has ended (its orchestration terminated or failed): stop.
    if (record.status === 'CancelRequested' || isTerminal(record.status)) return { succeededItems: 0, failedItems: 0, outputRows: 0, canceled: true };
    const { spec } = record;
    const chunk = Math.floor(input.index / input.chunkSize);
    const files = await planned;
    if (!files) throw new Error(`mini-batch ${input.index} is not in the job's plan`);
    const dir = join(deps.workDir, input.jobId, `${input.index}-${randomBytes(6).toString('hex')}`);
    const attempt = input.attempt ?? 1;
    const started = Date.now();
    // The attempt starts in the mini-batch's row (retries land on any instance, duplicates run
    // concurrently) while the files download.
    const starting = deps.miniBatches.startAttempt(input.jobId, input.index, attempt, files);
    starting.catch(() => undefined); // awaited below, also when the download fails first
    let kept: MiniBatchRecord | undefined;
    try {
      const scorerSpec = await scorerSpecOf(deps, spec);
      const [inputs, start] = await Promise.all([miniBatchInputs(deps, scorerSpec, files, dir), starting]);
      if (!start.run) return reportKept(start.kept, input.index, attempt);
      const downloaded = Date.now();
      // Output blocks are staged as the worker produces them (block ids from index, sequence and
      // this execution's tag), so a mini-batch holds a few blocks in memory whatever its files'
      // sizes; the row written below lists the blocks that are output and the tag, and only listed
      // blocks are ever committed. A duplicate execution (other ids) that ends second loses.
      const tag = newBlockTag();
      const target = spec.settings.outputAction !== 'AppendRow' ? undefined : input.toPart ? deps.parts.blob(input.jobId, chunk) : await deps.outputBlob(spec.output);
      let stageMs = 0;
      const onBlock = async (seq: number, bytes: Uint8Array) => {
        if (!target) return; // SummaryOnly: the lines are counted, not kept
        const t = Date.now();
        await stageOutputBlock(target, input.jobId, input.index, bytes, seq, tag);
        stageMs += Date.now() - t;
      };
      const result = await deps.scorer.run(
        scorerSpec,
        {
          files: inputs,
          params: spec.params,
          miniBatchIndex: input.index,
          timeoutMs: spec.settings.timeoutMs,
          outputBlockBytes: deps.tuning.outputBlockBytes,
        },
        { onBlock },
      );
      const scored = Date.now();
      await writeUserLog(deps, record, input.index, attempt, result.logs);
      // Where the time went, for the errors route and for tuning: download, scoring (staging overlaps it), output.
      const timings = { downloadMs: downloaded - started, scoreMs: scored - downloaded, workerMs: result.durationMs, stageMs };
      kept = await deps.miniBatches.record(input.jobId, input.index, attempt, files, {
        status: 'Succeeded',
        succeededItems: result.succeededItems,
        failedItems: result.failedItems,
        outputRows: result.outputRows,
        blocks: target ? formatBlockRanges(result.blocks) : '',
        blockTag: tag,
        durationMs: Date.now() - started,
        timings,
        itemErrors: result.itemErrors,
      }, start.seen); // conditional on the row as this start left it: no read unless another execution wrote it
      if (!kept) return { succeededItems: result.succeededItems, failedItems: result.failedItems, outputRows: result.outputRows };
    } catch (err) {
      const error = { code: codeOf(err), message: messageOf(err), stack: (err as Error)?.stack, attempt };
      // The start may still be under way (a download that failed first): the end is written after it.
      const start = await starting.catch(() => undefined);
      kept = start && !start.run ? start.kept : await deps.miniBatches.record(input.jobId, input.index, attempt, files, { status: 'Failed', error, durationMs: Date.now() - started }, start?.seen);
      if (!kept) {
        await writeUserLog(deps, record, input.index, attempt, (err as { logs?: LogEntry[] }).logs ?? [], error.message);
        // A scorer that cannot even start fails every mini-batch the same way: no retry, stop the job.
        if (isFatal(err)) return { succeededItems: 0, failedItems: files.length, outputRows: 0, fatal: { code: error.code, message: error.message } };
        throw new Error(`mini-batch ${input.index} attempt ${attempt}: ${error.code}: ${error.message}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      // The job's folder too, once no other mini-batch of it uses it (rmdir refuses a folder in use).
      await rmdir(join(deps.workDir, input.jobId)).catch(() => undefined);
    }
    // Another execution's end was recorded first: report it, whichever result Durable keeps.
    return reportKept(kept, input.index, attempt);
  };
}
