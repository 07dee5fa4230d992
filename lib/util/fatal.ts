/**
 * Marks an error that no retry can fix: a scoring script that is missing or broken, a model that
 * cannot be loaded, an asset or input that may not be read. Every mini-batch of the job would fail
 * the same way, so the job stops at the first one (a ScorerFailed job) instead of retrying each.
 * Errors are marked where they are thrown; the job only asks isFatal.
 */
export function fatal<E extends Error>(err: E): E & { readonly fatal: true } {
  return Object.assign(err, { fatal: true as const });
}

export const isFatal = (err: unknown): boolean => (err as { fatal?: unknown } | null | undefined)?.fatal === true;
