import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A table file's bytes as a stream of blocks: read from disk, or, when the pool handed the worker
 * the downloaded bytes (`bytes`), views of them (no copy, no disk round trip).
 */
export function fileBlocks(filePath: string, bytes: Uint8Array | undefined, blockBytes: number, encoding?: BufferEncoding): Readable {
  if (!bytes) return createReadStream(filePath, { highWaterMark: blockBytes, ...(encoding ? { encoding } : {}) });
  const views = function* () {
    for (let at = 0; at < bytes.byteLength; at += blockBytes) {
      yield Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(blockBytes, bytes.byteLength - at));
    }
  };
  const stream = Readable.from(views(), { objectMode: false });
  return encoding ? stream.setEncoding(encoding) : stream;
}

/** The bytes as an ArrayBuffer of their own (what hyparquet reads), copied only if they share one. */
export function ownArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
}
