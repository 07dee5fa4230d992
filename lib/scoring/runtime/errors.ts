import { fatal, isFatal } from '../../util/fatal';
import type { LogEntry } from './types';

/**
 * Why a whole mini-batch failed (it is then retried by the job, then counted against the error
 * threshold). Deterministic: ScriptNotFound, ScriptInvalid, WrongReturnType, ModelInvalid (a retry
 * fails the same way). Possibly transient: InitFailed, RunFailed, Timeout, WorkerCrashed.
 */
export type MiniBatchErrorCode =
  | 'ScriptNotFound'
  | 'ScriptInvalid'
  | 'InitFailed'
  | 'RunFailed'
  | 'WrongReturnType'
  | 'Timeout'
  | 'WorkerCrashed'
  | 'ModelInvalid';

export interface MiniBatchErrorOptions {
  /** More context for the job's error list (e.g. the syntax error's source line, files found). */
  details?: string;
  /** The user's stack trace when the error came from their code: that is what they need to debug. */
  stack?: string;
  /** What the script logged before failing (for timeouts and crashes: what reached the pool). */
  logs?: LogEntry[];
  cause?: unknown;
}

/** The plain-object form that crosses the worker boundary (class instances do not survive cloning). */
export interface SerializedMiniBatchError {
  code: MiniBatchErrorCode;
  message: string;
  details?: string;
  stack?: string;
  /** Marked fatal where it was thrown (util/fatal): no retry can fix it. */
  fatal?: true;
}

export class MiniBatchError extends Error {
  override readonly name = 'MiniBatchError';
  readonly details?: string;
  readonly logs: LogEntry[];
  // Only a user's stack crosses the worker boundary; the runtime's own frames help nobody.
  readonly #userStack?: string;

  constructor(
    readonly code: MiniBatchErrorCode,
    message: string,
    options: MiniBatchErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.details !== undefined) this.details = options.details;
    if (options.stack !== undefined) this.stack = this.#userStack = options.stack;
    this.logs = options.logs ?? [];
  }

  toJSON(): SerializedMiniBatchError {
    return { code: this.code, message: this.message, details: this.details, stack: this.#userStack, ...(isFatal(this) ? { fatal: true as const } : {}) };
  }

  static fromJSON(error: SerializedMiniBatchError, logs: LogEntry[]): MiniBatchError {
    const err = new MiniBatchError(error.code, error.message, { details: error.details, stack: error.stack, logs });
    return error.fatal ? fatal(err) : err;
  }
}

/** The stack of anything thrown, if it has one. */
export function thrownStack(err: unknown): string | undefined {
  return err instanceof Error && typeof err.stack === 'string' ? err.stack : undefined;
}
