/**
 * Exit codes, as `az` uses them: 0 success, 1 an error from the service or a job that did not
 * complete, 2 a usage error (bad flags, an unreadable or invalid file), 3 not found.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3 } as const;

export interface ServiceErrorDetail {
  code?: string;
  message?: string;
  target?: string;
}

/** An error the CLI prints as `ERROR: (code) message` (never a stack) and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly code?: string,
    readonly details: ServiceErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, EXIT.usage);

/** The service's error body `{ error: { code, message, details } }` as a CliError (404 exits 3). */
export function serviceError(status: number, body: unknown, what: string): CliError {
  const error = (body as { error?: { code?: string; message?: string; details?: ServiceErrorDetail[] } } | undefined)?.error;
  const code = error?.code ?? `Http${status}`;
  const message = error?.message ?? (typeof body === 'string' && body ? body.slice(0, 500) : `${what} answered ${status}.`);
  return new CliError(message, status === 404 ? EXIT.notFound : EXIT.error, code, error?.details ?? []);
}

/** The text printed for an error: `ERROR: (Code) message` and one line per detail. */
export function formatError(err: unknown): string {
  if (err instanceof CliError) {
    const head = `ERROR: ${err.code ? `(${err.code}) ` : ''}${err.message}`;
    const details = err.details
      .filter((d) => d.message && !err.message.includes(d.message))
      .map((d) => `  ${d.target ? `${d.target}: ` : ''}${d.message}`);
    return [head, ...details].join('\n');
  }
  const message = err instanceof Error ? err.message : String(err);
  return `ERROR: ${message}`;
}

export const exitCodeOf = (err: unknown): number => (err instanceof CliError ? err.exitCode : EXIT.error);
