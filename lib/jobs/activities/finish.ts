import type { FinishRequest } from '../contracts';
import { ERROR_REPORT_MINI_BATCHES, errorReport, progressOverview } from '../jobLogs';
import type { MiniBatchRecord } from '../miniBatchStore';
import { assembleOutput, committedBy, OutputTooLargeError } from '../../output/assembly';
import { OutputExistsError } from '../../output/blocks';
import { isTerminal } from '../status';
import type { JobRecord, JobStatus } from '../types';
import type { JobActivityDeps } from './deps';
import { progressOf } from './progress';

/** True when the job's output is committed by this job, or it writes none (SummaryOnly). */
async function outputDone(deps: JobActivityDeps, record: JobRecord): Promise<boolean> {
  if (record.spec.settings.outputAction !== 'AppendRow') return true;
  return committedBy(await deps.outputBlob(record.spec.output), record.jobId);
}

/**
 * A job that ended without writing its output gives the output's claim up (lib/jobs/outputClaims),
 * so the same path can be used again. Decided by the status recorded, not the one asked for: a
 * finish re-run (a duplicate start of a finished job) never releases a Completed job's output.
 * Best effort: a claim left behind is taken over by the next invoke, as its holder has ended.
 */
async function releaseUnwrittenOutput(deps: JobActivityDeps, record: JobRecord, status: JobStatus): Promise<void> {
  if (!record.spec.outputClaim || (status !== 'Failed' && status !== 'Canceled')) return;
  await deps.outputClaims.release(record.spec.outputClaim, record.jobId).catch(() => undefined);
}

/** Ends the job: on success commits the output once, then writes the logs and the final status. */
export const finishActivity = (deps: JobActivityDeps) =>
  async function finish(request: FinishRequest): Promise<JobStatus> {
    const { jobs, miniBatches } = deps;
    const record = await jobs.getOrThrow(request.endpointName, request.jobId);
    // A re-run after the final status was written (a crash before Durable recorded the result):
    // the job has ended; only the clean-up may still be owed.
    const alreadyEnded = async (ended: JobRecord): Promise<JobStatus> => {
      await releaseUnwrittenOutput(deps, ended, ended.status);
      await deps.jobEnded?.(ended);
      await deps.plans.deleteJob(request.jobId).catch(() => undefined);
      return ended.status;
    };
    if (isTerminal(record.status)) return alreadyEnded(record);
    let outcome: JobStatus = request.outcome;
    let error = request.error;
    // Finalizing is reached only once every mini-batch is done. Another outcome then comes from the
    // orchestrator's last resort after a finish that failed (its logs could not be written): if the
    // output was committed, or there is none to commit, the job did complete; logs are best effort.
    const recovered = outcome !== 'Completed' && record.status === 'Finalizing' && (await outputDone(deps, record));
    if (recovered) {
      outcome = 'Completed';
      error = undefined;
    }
    const progress = request.plan && request.totals ? progressOf(request.plan, request.totals) : undefined;
    if (outcome === 'Completed' && record.status === 'CancelRequested') outcome = 'Canceled';
    // The first failures are kept for the log (GET .../errors pages through all of them): a big
    // job whose every item failed would otherwise hold all its rows, and their text, in memory.
    const problems: MiniBatchRecord[] = [];
    let moreProblems = 0;
    for await (const mb of miniBatches.list(request.jobId, `(Status eq 'Failed' or FailedItems gt 0)`)) {
      if (problems.length < ERROR_REPORT_MINI_BATCHES) problems.push(mb);
      else moreProblems++;
    }
    if (outcome === 'Completed' && request.totals && request.totals.itemsSucceeded === 0 && request.totals.itemsFailed > 0) {
      // Azure ML's "No succeeded mini batch item returned from run()": an empty output helps no one.
      const first = problems.find((p) => p.error) ?? problems[0];
      const reason = first?.error ? `${first.error.code}: ${first.error.message}` : first?.itemErrors?.[0]?.message;
      outcome = 'Failed';
      error = { code: 'NoSucceededItems', message: `No item succeeded (${request.totals.itemsFailed} failed)${reason ? `; the first failure: ${reason}` : ''}. See GET .../errors for each one.` };
    }
    if (outcome === 'Completed' && !recovered) {
      const finalizing = await jobs.update(request.endpointName, request.jobId, { status: 'Finalizing', progress }, { step: 'finalize' });
      // Another writer came between the read above and this write: a job that ended meanwhile (the
      // stuck-job rule's finish) stays as it ended, and a cancel accepted before Finalizing wins.
      // Either way no output is committed.
      if (!finalizing.applied && isTerminal(finalizing.record.status)) return alreadyEnded(finalizing.record);
      if (!finalizing.applied && finalizing.record.status === 'CancelRequested') outcome = 'Canceled';
      else if (record.spec.settings.outputAction === 'AppendRow') {
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
      return deps.writeLog(request.jobId, 'user/error.txt', errorReport(problems, moreProblems));
    };
    const logsUri = await writeLogs().catch((err: unknown) => {
      if (recovered) return undefined;
      throw err;
    });
    const ended = await jobs.update(request.endpointName, request.jobId, { status: outcome, error, progress, endTime: endTime.toISOString(), logsUri });
    await releaseUnwrittenOutput(deps, ended.record, ended.record.status);
    // After the final status, so what it reports is what GET answers; a failure here re-runs finish,
    // which finds the job ended and calls it again.
    if (deps.jobEnded) await deps.jobEnded(ended.record);
    // The plan and parts are needed by nothing once the job has ended. Best effort: a leftover
    // is only storage, and a failure here must not turn a finished job into a failed one.
    await deps.plans.deleteJob(request.jobId).catch(() => undefined);
    // What was recorded: another writer may have ended the job first.
    return ended.record.status;
  };
