/**
 * The message of anything thrown: an Error's message, a string as it is, anything else as JSON
 * (user code may throw plain objects; String() would say only "[object Object]").
 */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
