import { messageOf } from '../../util/messageOf';
import type { JobError } from '../types';

/** The `code` of a thrown error, or SystemError. */
export const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'SystemError';
};

/** A listing failure as the job shows it: the storage code, or InputError. */
export const inputError = (err: unknown): { ok: false; error: JobError } => ({
  ok: false,
  error: { code: codeOf(err) === 'SystemError' ? 'InputError' : codeOf(err), message: messageOf(err) },
});
