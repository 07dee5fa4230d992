/**
 * The channel a mini-batch's output blocks travel on, from the worker to the main thread: a
 * MessagePort per mini-batch. Each block's bytes are transferred (not copied); the main thread
 * acknowledges a block once it has handled it (staged it), and the worker keeps at most WINDOW
 * blocks unacknowledged, so a slow store slows the scorer instead of filling memory.
 */
import type { MessagePort } from 'node:worker_threads';
import type { BlockSink } from './outputBlocks';

/** Blocks in flight per mini-batch: one being staged, one ready behind it. */
const WINDOW = 2;

export type BlockMessage = { type: 'block'; seq: number; bytes: Uint8Array };
export type BlockReply = { type: 'ack' } | { type: 'fail'; message: string };

/** Thrown in the worker when the main thread could not handle a block: the mini-batch stops. */
export class BlockHandlingError extends Error {}

/** The worker's end: a sink that posts blocks and waits while WINDOW are unacknowledged. */
export function portSink(port: MessagePort): BlockSink {
  let inFlight = 0;
  let failure: string | undefined;
  let wake: (() => void) | undefined;
  port.on('message', (reply: BlockReply) => {
    if (reply.type === 'ack') inFlight--;
    else failure = reply.message;
    wake?.();
  });
  return async (seq, bytes) => {
    while (inFlight >= WINDOW && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
    if (failure !== undefined) throw new BlockHandlingError(failure);
    inFlight++;
    port.postMessage({ type: 'block', seq, bytes } satisfies BlockMessage, [bytes.buffer as ArrayBuffer]);
  };
}

/**
 * The main thread's end: hands each block to `handle` in arrival order (the order they were sent)
 * and acknowledges it when that resolves. `settle(sent)` waits for the worker's `sent` blocks (the
 * worker's reply may overtake them: another channel) and rethrows the first handling failure.
 */
export class BlockReceiver {
  #received = 0;
  #expected = Infinity;
  #failure: unknown;
  #failed = false;
  #chain: Promise<void> = Promise.resolve();
  #allReceived?: () => void;

  constructor(
    private readonly port: MessagePort,
    handle: BlockSink,
  ) {
    port.on('message', (message: BlockMessage) => {
      this.#received++;
      if (this.#received >= this.#expected) this.#allReceived?.();
      // Handled one at a time, in order: the worker's window bounds how many wait here.
      this.#chain = this.#chain.then(async () => {
        if (this.#failed) return;
        try {
          await handle(message.seq, message.bytes);
          port.postMessage({ type: 'ack' } satisfies BlockReply);
        } catch (err) {
          this.#failed = true;
          this.#failure = err;
          port.postMessage({ type: 'fail', message: err instanceof Error ? err.message : String(err) } satisfies BlockReply);
        }
      });
    });
  }

  /** The first failure of `handle`, if any (the worker stops when it learns of it). */
  get failure(): { error: unknown } | undefined {
    return this.#failed ? { error: this.#failure } : undefined;
  }

  /** Waits until `sent` blocks have arrived and been handled; throws the first handling failure. */
  async settle(sent: number): Promise<void> {
    this.#expected = sent;
    if (this.#received < sent) await new Promise<void>((resolve) => (this.#allReceived = resolve));
    await this.#chain;
    if (this.#failed) throw this.#failure;
  }

  close(): void {
    this.port.close();
  }
}
