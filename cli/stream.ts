import { MultiBar, Presets } from 'cli-progress';
import { READ, type ApiResult } from './client';
import type { Context } from './context';
import { CliError } from './errors';
import { FINAL, jobPath } from './jobLookup';

export interface StreamOptions {
  /** Poll interval in ms (the job's Retry-After is 5 s; a person watching wants faster). */
  intervalMs?: number;
  /** Where progress goes (stderr, so stdout stays the command's result). */
  out?: NodeJS.WriteStream;
}

const seconds = (s: number): string => {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

const time = () => new Date().toISOString().slice(11, 19);

/** What one progress reading says: done counts, rate and ETA (from this stream's first reading). */
export function progressLine(p: any, startedAt: number, startItems: number, now = Date.now()) {
  const mbDone = (p.miniBatchesSucceeded ?? 0) + (p.miniBatchesFailed ?? 0);
  const itemsDone = (p.itemsSucceeded ?? 0) + (p.itemsFailed ?? 0);
  const elapsed = (now - startedAt) / 1000;
  const rate = elapsed > 0 ? (itemsDone - startItems) / elapsed : 0;
  const remaining = (p.itemsTotal ?? 0) - itemsDone;
  const eta = rate > 0 ? remaining / rate : remaining === 0 && p.itemsTotal ? 0 : Infinity;
  return {
    mbDone,
    mbTotal: p.miniBatchesTotal ?? 0,
    itemsDone,
    itemsTotal: p.itemsTotal ?? 0,
    ok: p.itemsSucceeded ?? 0,
    failed: p.itemsFailed ?? 0,
    rate: rate.toFixed(1),
    remaining: seconds(eta),
  };
}

/**
 * Follows a job until it is final: a live bar on a terminal (mini-batches, items succeeded and
 * failed, rate, ETA), one line per change otherwise; status changes and failed mini-batches are
 * printed as log lines as they arrive. Completed returns the job; Failed/Canceled throw (exit 1).
 */
export async function streamJob(ctx: Context, endpoint: string, name: string, options: StreamOptions = {}): Promise<any> {
  const out = options.out ?? process.stderr;
  const interval = options.intervalMs ?? Number(process.env['AZMLB_POLL_MS'] ?? 1000);
  const tty = out.isTTY === true;
  const multi = tty
    ? new MultiBar(
        {
          stream: out,
          format:
            ' {bar} {percentage}% | mini-batches {mbDone}/{mbTotal} | items {ok} ok, {failed} failed of {itemsTotal} | {rate} items/s | ETA {remaining}',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          barsize: 20,
          fps: 5,
        },
        Presets.shades_classic,
      )
    : undefined;
  const bar = multi?.create(1, 0, { mbDone: 0, mbTotal: '?', ok: 0, failed: 0, itemsTotal: '?', rate: '0.0', remaining: '--' });
  const log = (line: string) => (multi ? multi.log(`${line}\n`) : out.write(`${line}\n`));
  const startedAt = Date.now();
  let startItems: number | undefined;
  let lastStatus = '';
  let lastLine = '';
  const seenProblems = new Set<string>();
  const logs: ScoringLogs = { available: true, seen: new Set() };
  log(`${time()} Streaming job ${name} (endpoint ${endpoint})`);
  try {
    for (;;) {
      const job = (await ctx.client.request('GET', jobPath(endpoint, name), { roles: READ })).body;
      const p = job.properties ?? {};
      if (!lastStatus && p.logsUri) log(`${time()} Logs: ${p.logsUri}`);
      if (p.status !== lastStatus) {
        log(`${time()} ${p.status}${p.deploymentName ? ` (deployment ${p.deploymentName})` : ''}`);
        lastStatus = p.status;
      }
      const progress = p.progress ?? {};
      startItems ??= (progress.itemsSucceeded ?? 0) + (progress.itemsFailed ?? 0);
      const line = progressLine(progress, startedAt, startItems!);
      if (progress.itemsFailed || progress.miniBatchesFailed || FINAL.has(p.status)) {
        await logProblems(ctx, endpoint, name, seenProblems, log, { attempts: (p.retrySettings?.maxRetries ?? 3) + 1, final: FINAL.has(p.status) });
      }
      if (logs.available) await logScoringOutput(ctx, endpoint, name, logs, log);
      if (bar) {
        bar.setTotal(Math.max(line.mbTotal, 1));
        bar.update(line.mbDone, line);
      } else {
        const text = `mini-batches ${line.mbDone}/${line.mbTotal} | items ${line.ok} ok, ${line.failed} failed of ${line.itemsTotal}`;
        if (text !== lastLine) out.write(`${time()} ${text} | ${line.rate} items/s | ETA ${line.remaining}\n`);
        lastLine = text;
      }
      if (FINAL.has(p.status)) {
        multi?.update(); // flushes the log lines written since the last redraw
        multi?.stop();
        return finish(job, out);
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  } finally {
    multi?.stop();
  }
}

/**
 * New failed mini-batches and item errors from `GET .../errors`, once each. A mini-batch reads
 * Failed between a failed attempt and its retry: until its attempts are used up (or the job is
 * final) that is one failed attempt, printed as such, not a failed mini-batch.
 */
async function logProblems(
  ctx: Context,
  endpoint: string,
  name: string,
  seen: Set<string>,
  log: (l: string) => void,
  job: { attempts: number; final: boolean },
): Promise<void> {
  const res = await ctx.client.request('GET', `${jobPath(endpoint, name)}/errors`, { roles: READ, accept: [404] });
  for (const mb of res.body?.value ?? []) {
    const key = `mb${mb.miniBatchIndex}`;
    const files = `[${(mb.files ?? []).join(', ')}]`;
    if (mb.error && !seen.has(key)) {
      if (job.final || mb.attempts >= job.attempts) {
        seen.add(key);
        log(`${time()} mini-batch ${mb.miniBatchIndex} failed after ${mb.attempts} attempt(s): (${mb.error.code}) ${mb.error.message} ${files}`);
      } else if (!seen.has(`${key}@${mb.attempts}`)) {
        seen.add(`${key}@${mb.attempts}`);
        log(`${time()} mini-batch ${mb.miniBatchIndex} attempt ${mb.attempts} of ${job.attempts} failed: (${mb.error.code}) ${mb.error.message} ${files}`);
      }
    }
    for (const item of mb.itemErrors ?? []) {
      const itemKey = `${key}:${item.file ?? item.name ?? JSON.stringify(item)}`;
      if (seen.has(itemKey)) continue;
      seen.add(itemKey);
      log(`${time()} item failed: ${item.file ?? item.name ?? ''} ${item.code ? `(${item.code}) ` : ''}${item.message ?? ''}`.trim());
    }
  }
}

interface ScoringLogs {
  /** False once the service said it has no logs route (404): not asked again. */
  available: boolean;
  seen: Set<string>;
}

/**
 * What scoring code wrote, as each mini-batch's log appears (`GET .../logs`: `user/stdout/
 * mini-batch-<n>.txt`, written when the mini-batch ends), each file printed once.
 */
async function logScoringOutput(ctx: Context, endpoint: string, name: string, logs: ScoringLogs, log: (l: string) => void): Promise<void> {
  const listed: { name: string; size: number }[] = [];
  // The list is paged (nextLink): one page per 1,000 log files.
  for (let next: string | undefined = `${jobPath(endpoint, name)}/logs`; next; ) {
    const list: ApiResult<{ value?: { name: string; size: number }[]; nextLink?: string }> = await ctx.client.request('GET', next, { roles: READ, accept: [404, 405] });
    if (list.status >= 400) {
      logs.available = false;
      return;
    }
    listed.push(...(list.body?.value ?? []));
    next = list.body?.nextLink ? ctx.client.pathOf(list.body.nextLink) : undefined;
  }
  const files = listed
    .filter((f) => f.name.startsWith('user/stdout/') && f.size > 0 && !logs.seen.has(f.name))
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  for (const file of files) {
    const res = await ctx.client.raw('GET', `${jobPath(endpoint, name)}/logs/${file.name.split('/').map(encodeURIComponent).join('/')}`, { roles: READ });
    const text = await res.text();
    if (res.status === 404) continue; // listed but not readable yet: the next reading tries again
    logs.seen.add(file.name);
    const label = file.name.replace(/^user\/stdout\//, '').replace(/\.txt$/, '');
    if (res.status >= 400) {
      log(`${time()} [${label}] (not shown: the service answered ${res.status})`);
      continue;
    }
    for (const line of text.split('\n').filter((l) => l.trim())) log(`${time()} [${label}] ${line}`);
  }
}

function finish(job: any, out: NodeJS.WriteStream): any {
  const p = job.properties ?? {};
  const pr = p.progress ?? {};
  const output = Object.values(p.outputData ?? {})[0] as { uri?: string } | undefined;
  out.write(
    `\nJob ${job.name}: ${p.status}. Mini-batches ${pr.miniBatchesSucceeded ?? 0} succeeded, ${pr.miniBatchesFailed ?? 0} failed; ` +
      `items ${pr.itemsSucceeded ?? 0} succeeded, ${pr.itemsFailed ?? 0} failed of ${pr.itemsTotal ?? 0}.\n`,
  );
  if (p.status === 'Completed') {
    if (output?.uri && p.outputAction !== 'SummaryOnly') out.write(`Output: ${output.uri}\n`);
    return job;
  }
  const error = p.error ?? { code: p.status === 'Canceled' ? 'JobCanceled' : 'JobFailed', message: `Job ${job.name} is ${p.status}.` };
  throw new CliError(`Job ${job.name} ${p.status === 'Canceled' ? 'was canceled' : 'failed'}: ${error.message}`, 1, error.code);
}
