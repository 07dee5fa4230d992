/**
 * What a process has used so far, from /proc (Linux): CPU time of all its threads, live and
 * exited (utime + stime), and peak resident memory. Benchmarks measure the app (the host process
 * and its scoring worker threads) and Azurite (a process of its own) apart with these: CPU time
 * holds up on a busy machine where wall-clock time does not.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the benchmarks run on

/** CPU seconds used by process `pid` so far (every thread, including threads that have exited). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** CPU seconds per live thread of `pid`: `main`, else by thread name and id (V8's helpers, libuv's pool, workers all share a name on Node 20). */
export function cpuSecondsByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(pid) ? 'main' : `${name}-${tid}`;
      out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Peak resident memory of process `pid` so far (VmHWM), in MiB. */
export function peakRssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Resident memory of process `pid` now (VmRSS), in MiB. */
export function rssMiBOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * Waits until process `pid` uses under `busyShare` of one core over `windowMs` (e.g. the host
 * after a deployment PUT, while it warms that deployment's scoring workers), or `maxMs` passed.
 */
export async function waitUntilIdle(pid: number, { windowMs = 500, busyShare = 0.05, maxMs = 30_000 } = {}): Promise<void> {
  const deadline = Date.now() + maxMs;
  let before = cpuSecondsOf(pid);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = cpuSecondsOf(pid);
    if (now - before < (busyShare * windowMs) / 1000) return;
    before = now;
  }
}
