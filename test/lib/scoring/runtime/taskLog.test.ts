import { describe, expect, it } from 'vitest';
import { createScriptLogger, MAX_LOG_BYTES, TaskLog } from '../../../../lib/scoring/runtime/taskLog';
import type { LogEntry } from '../../../../lib/scoring/runtime/types';

describe('TaskLog and the script logger', () => {
  it('filters by loggingLevel, formats like console.log and copies kept entries to the listener', () => {
    const copied: LogEntry[] = [];
    const log = new TaskLog('Info', (e) => copied.push(e));
    const logger = createScriptLogger(() => log);
    logger.debug('hidden');
    logger.info('%d rows in %s', 3, 'a.csv');
    logger.warn('warn is warning');
    logger.error(new Error('boom').message, { file: 'a.csv' });
    expect(log.entries()).toEqual([
      { level: 'info', message: '3 rows in a.csv' },
      { level: 'warning', message: 'warn is warning' },
      { level: 'error', message: "boom { file: 'a.csv' }" },
    ]);
    expect(copied).toEqual(log.entries());
  });

  it('caps total bytes and truncates one huge message', () => {
    const log = new TaskLog('Debug');
    log.write('info', 'x'.repeat(100_000));
    expect(log.entries()[0]!.message).toMatch(/^x{8192}\.\.\. \(truncated, 100000 characters\)$/);
    for (let i = 0; i < 10; i++) log.write('info', 'y'.repeat(8000)); // 8 KiB + 7 of these fit in 64 KiB
    const entries = log.entries();
    const bytes = entries.slice(0, -1).reduce((n, e) => n + Buffer.byteLength(e.message), 0);
    expect(bytes).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(entries.at(-1)).toEqual({ level: 'warning', message: '3 more log entries dropped (limit 200 entries / 64 KiB per mini-batch)' });
  });

  it('drops writes made while no mini-batch runs (e.g. from a stray timer)', () => {
    let current: TaskLog | undefined;
    const logger = createScriptLogger(() => current);
    logger.error('nobody listens');
    current = new TaskLog('Warning');
    logger.error('kept');
    expect(current.entries()).toEqual([{ level: 'error', message: 'kept' }]);
  });
});
