/**
 * A mini-batch's output crosses from the worker thread as one UTF-8 buffer rather than an array
 * of strings: copying one buffer between threads is a memcpy, cloning 50,000 strings is not.
 */
export function encodeLines(lines: readonly string[]): Uint8Array {
  if (lines.length === 0) return new Uint8Array(0);
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** The lines of an encoded output (tests and tools; the job stages the buffer as it is). */
export function decodeLines(output: Uint8Array): string[] {
  const text = Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}
