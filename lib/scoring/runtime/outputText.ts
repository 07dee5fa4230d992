/** The lines of an encoded output (tests and tools; the job stages the buffer as it is). */
export function decodeLines(output: Uint8Array): string[] {
  const text = Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('utf8');
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}
