/**
 * At most `size` tasks handed to a piscina pool at once, the rest waiting here in order. piscina
 * queues work itself, but when a running task is aborted it removes that worker without starting
 * one for its queued tasks, which then wait until some later run() happens to start a worker. A
 * timed-out mini-batch is aborted only after its ONNX Runtime call returns (nativeCallGate.ts),
 * when others are often queued behind it; with this queue in front, piscina never holds a queued
 * task, and every task it gets finds an idle worker or room to start one.
 */
export class WorkerSlots {
  #free: number;
  readonly #waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #closed = false;

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves when a slot is the caller's; rejects once closed. */
  acquire(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next.resolve();
    else this.#free++;
  }

  /** Fails every waiting and later acquire(). */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('the worker pool is closed'));
  }
}
