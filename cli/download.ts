import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { READ } from './client';
import type { Context } from './context';
import { CliError, serviceError } from './errors';
import { jobPath } from './jobLookup';

/** Bytes per request: well under the output route's per-request limit (100 MB by default). */
const CHUNK = Number(process.env['AZMLB_DOWNLOAD_CHUNK_BYTES'] ?? 4 * 1024 * 1024);

export interface Downloaded {
  path: string;
  bytes: number;
  /** Bytes that were already on disk from an interrupted download. */
  resumedFrom: number;
}

/**
 * Downloads a completed job's output (`GET .../jobs/{id}/output`) in byte ranges to
 * `<dir>/named-outputs/<output name>/<file>` (az ml job download's layout). Bytes go to
 * `<file>.partial` first; an interrupted download continues from its size (Range requests),
 * and the file gets its name only when complete.
 */
export async function downloadOutput(ctx: Context, endpoint: string, job: any, outputName: string, dir: string, out: NodeJS.WriteStream = process.stderr): Promise<Downloaded> {
  const p = job.properties ?? {};
  const names = Object.keys(p.outputData ?? {});
  if (names.length && !names.includes(outputName)) {
    throw new CliError(`Job ${job.name} has no output named '${outputName}' (it has: ${names.join(', ')}).`, 2);
  }
  const folder = join(dir, 'named-outputs', outputName);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, p.outputFileName ?? 'predictions.csv');
  const partial = `${file}.partial`;
  let offset = existsSync(partial) ? statSync(partial).size : 0;
  const resumedFrom = offset;
  if (offset) ctx.note(`Resuming ${file} from byte ${offset}.`);
  const bar = out.isTTY ? new SingleBar({ stream: out, format: ' {bar} {percentage}% | {value}/{total} bytes | {speed} | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic) : undefined;
  const startedAt = Date.now();
  let total: number | undefined;
  const sink = createWriteStream(partial, { flags: 'a' });
  const written = new Promise<void>((resolve, reject) => sink.on('error', reject).on('finish', resolve));
  try {
    for (;;) {
      const res = await ctx.client.raw('GET', `${jobPath(endpoint, job.name)}/output`, { roles: READ, headers: { range: `bytes=${offset}-${offset + CHUNK - 1}` } });
      if (res.status === 416) {
        await res.body?.cancel();
        total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
        if (total === offset) break; // already complete (or an empty output)
        if (total < offset) {
          // Longer than the output: not a part of it. Start again.
          sink.destroy();
          rmSync(partial, { force: true });
          throw new CliError(`${partial} is longer than the output (${total} bytes); it was removed, run the download again.`);
        }
        throw new CliError(`The service refused the range from byte ${offset} (output is ${total} bytes).`);
      }
      if (res.status >= 400) {
        const body = await res.json().catch(() => undefined);
        throw serviceError(res.status, body, 'the output route');
      }
      const data = Buffer.from(await res.arrayBuffer());
      if (res.status === 200) {
        // No range support (the whole file came): replace what was there.
        if (offset) {
          sink.destroy();
          rmSync(partial, { force: true });
          return finishWhole(file, data, resumedFrom);
        }
        total = data.length;
      } else {
        total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? NaN);
      }
      await new Promise<void>((resolve, reject) => sink.write(data, (err) => (err ? reject(err) : resolve())));
      offset += data.length;
      if (bar) {
        if (!bar.isActive) bar.start(total, offset, { speed: '' });
        bar.setTotal(total);
        const rate = (offset - resumedFrom) / Math.max((Date.now() - startedAt) / 1000, 0.001);
        bar.update(offset, { speed: `${(rate / 1024 / 1024).toFixed(1)} MB/s` });
      }
      if (res.status === 200 || offset >= total || data.length === 0) break;
    }
  } finally {
    bar?.stop();
    sink.end();
  }
  await written;
  renameSync(partial, file);
  out.write(`Downloaded ${file} (${offset} bytes${resumedFrom ? `, resumed from byte ${resumedFrom}` : ''}).\n`);
  return { path: file, bytes: offset, resumedFrom };
}

function finishWhole(file: string, data: Buffer, resumedFrom: number): Downloaded {
  writeFileSync(file, data);
  return { path: file, bytes: data.length, resumedFrom };
}
