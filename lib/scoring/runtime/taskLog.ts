import { format } from 'node:util';
import type { LogEntry, LoggingLevel, LogLevel } from './types';

/** Per mini-batch: logs are returned with the result, so they must stay small. */
export const MAX_LOG_ENTRIES = 200;
export const MAX_LOG_BYTES = 64 * 1024;
const MAX_MESSAGE_CHARS = 8 * 1024;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };
const THRESHOLD: Record<LoggingLevel, number> = { Debug: 0, Info: 1, Warning: 2 };

/** The `context.logger` a scoring script gets. */
export interface ScriptLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warning(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The log of one mini-batch: entries at or above the deployment's level, within the caps. */
export class TaskLog {
  readonly #entries: LogEntry[] = [];
  #bytes = 0;
  #dropped = 0;

  constructor(
    private readonly level: LoggingLevel,
    private readonly onEntry?: (entry: LogEntry) => void,
  ) {}

  write(level: LogLevel, message: string): void {
    if (RANK[level] < THRESHOLD[this.level]) return;
    const text = message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}... (truncated, ${message.length} characters)` : message;
    const bytes = Buffer.byteLength(text);
    if (this.#entries.length >= MAX_LOG_ENTRIES || this.#bytes + bytes > MAX_LOG_BYTES) {
      this.#dropped++;
      return;
    }
    const entry: LogEntry = { level, message: text };
    this.#entries.push(entry);
    this.#bytes += bytes;
    this.onEntry?.(entry);
  }

  /** The kept entries, plus a note saying how many were dropped over the caps. */
  entries(): LogEntry[] {
    if (this.#dropped === 0) return [...this.#entries];
    const note = `${this.#dropped} more log entries dropped (limit ${MAX_LOG_ENTRIES} entries / ${MAX_LOG_BYTES / 1024} KiB per mini-batch)`;
    return [...this.#entries, { level: 'warning', message: note }];
  }
}

/**
 * A logger that writes to whatever mini-batch is current. Scripts keep the logger `init()` got
 * and use it in later mini-batches, so it cannot be bound to one task's log. Writes while no
 * mini-batch runs (stray timers) are dropped.
 */
export function createScriptLogger(current: () => TaskLog | undefined): ScriptLogger {
  const at = (level: LogLevel) => (...args: unknown[]): void => current()?.write(level, format(...args));
  return { debug: at('debug'), info: at('info'), warning: at('warning'), warn: at('warning'), error: at('error') };
}
