import { isStorageUnavailable } from '../../storage/deadline';
import { messageOf } from '../../util/messageOf';
import type { JobError } from '../types';

/** The `code` of a thrown error, or SystemError. */
export const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'SystemError';
};

/**
 * A listing failure as the job shows it: the storage code, or InputError. Storage that could not
 * be reached (a reset connection, 5xx, a timeout) is thrown again instead: prepare and planRest
 * are retried by the orchestrator, so a hiccup does not end the job as if its input were wrong.
 */
export const inputError = (err: unknown): { ok: false; error: JobError } => {
  if (isStorageUnavailable(err)) throw err;
  return { ok: false, error: { code: codeOf(err) === 'SystemError' ? 'InputError' : codeOf(err), message: messageOf(err) } };
};
