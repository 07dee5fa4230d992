/**
 * Randomized exponential backoff, as the real host's queue and blob pollers use: start at `min`,
 * double on every idle poll or error up to `max`, back to `min` when work shows up.
 */
export class Backoff {
  private current: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.current = 0;
  }

  next(): number {
    this.current = this.current === 0 ? this.min : Math.min(this.current * 2, this.max);
    // Jitter keeps several listeners from polling in lock step.
    const jitter = 0.8 + Math.random() * 0.4;
    return Math.max(this.min, Math.min(this.max, Math.round(this.current * jitter)));
  }

  reset(): void {
    this.current = 0;
  }
}
