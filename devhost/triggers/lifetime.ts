/**
 * What a listener needs to stop cleanly: sleeps that end at once when the host stops, and the
 * set of running work (poll loop, invocations) that `stop()` waits for.
 */
export class Lifetime {
  private readonly controller = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  get stopping(): boolean {
    return this.controller.signal.aborted;
  }

  /** Resolves after `ms`, or as soon as the listener stops (never rejects). */
  sleep(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.controller.signal.removeEventListener('abort', done);
        resolve();
      };
      // setTimeout overflows past ~24.8 days; callers re-check the clock after waking.
      const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
      this.controller.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Runs `work` in the background; `stop()` waits for it. Errors must be handled by `work`. */
  spawn(work: () => Promise<unknown>): Promise<void> {
    const p: Promise<void> = work().then(
      () => undefined,
      () => undefined,
    );
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  async stop(): Promise<void> {
    this.controller.abort();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
