/**
 * A problem with one input file (unreadable, malformed, missing column, bad value). The message
 * always starts with the file name and, when known, the row and line, because it ends up in the
 * job's error list where users must find the bad data without a debugger.
 */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';

  constructor(
    readonly file: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${detail}`, options);
  }
}

