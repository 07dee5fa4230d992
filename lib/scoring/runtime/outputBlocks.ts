/**
 * A mini-batch's output leaves the worker in blocks as it is produced, so memory stays bounded
 * whatever the size of its files. Blocks are numbered 0, 1, 2, ... in output order (the job turns
 * mini-batch index + number into the block id, the same on every re-run). A file's lines count
 * only when the whole file scored: its blocks are sent as they fill but kept (listed in `kept`)
 * only once the file has ended well; a file that fails leaves its blocks unlisted, so they are
 * never committed. Small files share a block (lines of files that ended well wait for the next).
 */

/** Output block size in bytes (UTF-8). */
export const DEFAULT_OUTPUT_BLOCK_BYTES = 8 * 1024 * 1024;

/** Sends one block; resolves when the block may be forgotten (backpressure). */
export type BlockSink = (seq: number, bytes: Uint8Array) => Promise<void>;

const encoder = new TextEncoder();

export class OutputBlockWriter {
  // Output of files that ended well, not sent yet, as UTF-8 (each piece ends in '\n'). Encoded as
  // soon as it is added: bytes live outside the JS heap, so a mini-batch's output waiting for its
  // block is not copied by every garbage collection meanwhile (as its strings were).
  #done: Uint8Array[] = [];
  #doneBytes = 0;
  // The current file's output not sent yet, and the blocks it has sent.
  #file: Uint8Array[] = [];
  #fileBytes = 0;
  #fileRows = 0;
  #fileBlocks: number[] = [];
  #next = 0;
  readonly kept: number[] = [];
  rows = 0;

  constructor(
    private readonly blockBytes: number,
    private readonly sink: BlockSink,
  ) {
    if (!(blockBytes > 0)) throw new RangeError(`the output block size must be positive, got ${blockBytes}`);
  }

  /** Blocks sent so far (kept or not). */
  get sent(): number {
    return this.#next;
  }

  /** Lines of the current file (no line ends). */
  async add(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const bytes = encoder.encode(`${lines.join('\n')}\n`);
    this.#file.push(bytes);
    this.#fileBytes += bytes.byteLength;
    this.#fileRows += lines.length;
    if (this.#fileBytes >= this.blockBytes) {
      // What came before goes first, in a block of its own: this file may still fail.
      await this.#flushDone();
      this.#fileBlocks.push(await this.#send(this.#file));
      this.#file = [];
      this.#fileBytes = 0;
    }
  }

  /** The current file scored in full: its lines are part of the output. */
  async endFile(): Promise<void> {
    this.kept.push(...this.#fileBlocks);
    this.#done.push(...this.#file);
    this.#doneBytes += this.#fileBytes;
    this.rows += this.#fileRows;
    this.#resetFile();
    if (this.#doneBytes >= this.blockBytes) await this.#flushDone();
  }

  /** The current file failed: none of its lines are output (its sent blocks stay unlisted). */
  dropFile(): void {
    this.#resetFile();
  }

  /** Sends what is left; afterwards `kept` lists the output's blocks in order. */
  async finish(): Promise<void> {
    this.dropFile();
    await this.#flushDone();
  }

  #resetFile(): void {
    this.#file = [];
    this.#fileBytes = 0;
    this.#fileRows = 0;
    this.#fileBlocks = [];
  }

  async #flushDone(): Promise<void> {
    if (this.#doneBytes === 0) return;
    const pieces = this.#done;
    this.#done = [];
    this.#doneBytes = 0;
    this.kept.push(await this.#send(pieces));
  }

  async #send(pieces: Uint8Array[]): Promise<number> {
    const seq = this.#next++;
    // Each piece (from TextEncoder) and each joined block has an ArrayBuffer of its own, which can be transferred (not copied).
    await this.sink(seq, pieces.length === 1 ? pieces[0]! : joined(pieces));
    return seq;
  }
}

function joined(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((sum, p) => sum + p.byteLength, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  return out;
}
