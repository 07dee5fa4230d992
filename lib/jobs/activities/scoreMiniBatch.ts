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
import type { RowVersion } from '../miniBatchStore';

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
    const started = Date.now();
    // Attempts are counted in the mini-batch's row (retries land on any instance, duplicates run
    // concurrently), while the files download.
    const counting = deps.miniBatches.startAttempt(input.jobId, input.index, files);
    counting.catch(() => undefined); // awaited below, also when the download fails first
    let attempt: number | undefined;
    let seen: RowVersion | undefined;
    try {
      const scorerSpec = await scorerSpecOf(deps, spec);
      const [inputs, counted] = await Promise.all([miniBatchInputs(deps, scorerSpec, files, dir), counting]);
      ({ attempt, seen } = counted);
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
      const twin = await deps.miniBatches.record(input.jobId, input.index, files, {
        status: 'Succeeded',
        succeededItems: result.succeededItems,
        failedItems: result.failedItems,
        outputRows: result.outputRows,
        blocks: target ? formatBlockRanges(result.blocks) : '',
        blockTag: tag,
        durationMs: Date.now() - started,
        timings,
        itemErrors: result.itemErrors,
      }, seen); // conditional on the row as this start left it: no read unless another execution wrote it
      // A twin's success was recorded first: its rows are the output, report its counts.
      const won = twin ?? result;
      return { succeededItems: won.succeededItems, failedItems: won.failedItems, outputRows: won.outputRows };
    } catch (err) {
      attempt ??= (await counting.catch(() => undefined))?.attempt;
      if (attempt === undefined) throw err; // not even counted (storage): Durable retries the same attempt
      const error = { code: codeOf(err), message: messageOf(err), stack: (err as Error)?.stack, attempt };
      // A duplicate of an earlier attempt that fails after the next attempt started leaves the row
      // to that attempt (a Failed status there would count one attempt too many).
      const current = await deps.miniBatches.tryGet(input.jobId, input.index).catch(() => undefined);
      let twin = current?.status === 'Succeeded' ? current : undefined;
      if (!twin && (!current || current.attempts <= attempt)) {
        await writeUserLog(deps, record, input.index, attempt, (err as { logs?: LogEntry[] }).logs ?? [], error.message);
        twin = await deps.miniBatches.record(input.jobId, input.index, files, { status: 'Failed', error, durationMs: Date.now() - started });
      }
      // A twin's success was recorded first: its rows are the output, so report its counts, as a
      // second success does. This result may reach Durable before the twin's (out of order), and
      // a failure of the last attempt would count items failed whose rows are in the output.
      if (twin) return { succeededItems: twin.succeededItems, failedItems: twin.failedItems, outputRows: twin.outputRows };
      // A scorer that cannot even start fails every mini-batch the same way: no retry, stop the job.
      if (isFatal(err)) return { succeededItems: 0, failedItems: files.length, outputRows: 0, fatal: { code: error.code, message: error.message } };
      throw new Error(`mini-batch ${input.index} attempt ${attempt}: ${error.code}: ${error.message}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
      // The job's folder too, once no other mini-batch of it uses it (rmdir refuses a folder in use).
      await rmdir(join(deps.workDir, input.jobId)).catch(() => undefined);
    }
  };
}
