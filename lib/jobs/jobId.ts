import { randomBytes } from 'node:crypto';

/**
 * Job ids sort newest first as Table RowKeys (which sort as strings, ascending): the creation time
 * is stored inverted, in fixed-width base36, then random hex keeps ids unique within a millisecond.
 * Example: `batchjob-2zb0lxr1k-a1f3e9c2`.
 */

const PREFIX = 'batchjob-';
const WIDTH = 9;
// The largest 9-digit base36 number: milliseconds until the year 5188.
const MAX_TIME = 36 ** WIDTH - 1;

export function newJobId(now: Date = new Date()): string {
  const inverted = Math.max(0, MAX_TIME - now.getTime());
  return `${PREFIX}${inverted.toString(36).padStart(WIDTH, '0')}-${randomBytes(4).toString('hex')}`;
}
