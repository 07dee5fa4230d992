/** Status code of a storage SDK error (RestError), if it is one. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;

/** One line for logs: storage errors carry their code, others their message. */
export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(err);
  return typeof e?.code === 'string' ? `${e.code}: ${message}` : String(message);
}
