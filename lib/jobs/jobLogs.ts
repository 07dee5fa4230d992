import type { MiniBatchRecord } from './miniBatchStore';
import type { JobRecord } from './types';

/** `logs/job_progress_overview.txt`, in the spirit of Azure ML's: the figures an operator looks for first. */
export function progressOverview(job: JobRecord, status: string, finishedAt: Date): string {
  const p = job.progress;
  const started = job.startTime ? Date.parse(job.startTime) : Date.parse(job.creationTime);
  const seconds = Math.max(0, (finishedAt.getTime() - started) / 1000);
  return [
    `Job ${job.jobId} (${job.spec.endpointName}/${job.spec.deploymentName}): ${status}`,
    `Created: ${job.creationTime}  Started: ${job.startTime ?? '-'}  Finished: ${finishedAt.toISOString()}  (${seconds.toFixed(1)} s)`,
    `Input: ${job.spec.input.uri} (${job.spec.input.type})`,
    `Output: ${job.spec.output.uri} (${job.spec.settings.outputAction})`,
    `Mini-batches: ${p.miniBatchesTotal} total, ${p.miniBatchesSucceeded} succeeded, ${p.miniBatchesFailed} failed, ${p.miniBatchesPending} pending`,
    `Items: ${p.itemsTotal} total, ${p.itemsSucceeded} succeeded, ${p.itemsFailed} failed`,
    `Settings: miniBatchSize=${job.spec.settings.miniBatchSize} instanceCount=${job.spec.settings.instanceCount} ` +
      `maxConcurrencyPerInstance=${job.spec.settings.maxConcurrencyPerInstance} errorThreshold=${job.spec.settings.errorThreshold} ` +
      `maxRetries=${job.spec.settings.maxRetries} timeout=${job.spec.settings.timeout}`,
    job.error ? `Error: ${job.error.code}: ${job.error.message}` : '',
    '',
  ].join('\n');
}

/** The failed mini-batches `logs/user/error.txt` lists at most; the errors route has every one. */
export const ERROR_REPORT_MINI_BATCHES = 1000;

/**
 * `logs/user/error.txt`: the failed mini-batches and items (the first ERROR_REPORT_MINI_BATCHES of
 * them), with the files they concerned; `more` says how many mini-batches with failures are left out.
 */
export function errorReport(problems: MiniBatchRecord[], more = 0): string {
  if (problems.length === 0) return 'No errors.\n';
  const lines: string[] = [];
  for (const mb of problems) {
    const files = mb.files.map((f) => f.name).join(', ');
    if (mb.status === 'Failed' && mb.error) {
      lines.push(`mini-batch ${mb.index} failed after ${mb.attempts} attempt(s) [${files}]: ${mb.error.code}: ${mb.error.message}`);
      if (mb.error.stack) lines.push(...mb.error.stack.split('\n').map((l) => `    ${l}`));
    }
    for (const item of mb.itemErrors ?? []) lines.push(`mini-batch ${mb.index} item ${item.file}: ${item.message}`);
  }
  if (more > 0) lines.push(`... and ${more} more mini-batch(es) with failures: see GET .../errors for every one.`);
  return `${lines.join('\n')}\n`;
}
