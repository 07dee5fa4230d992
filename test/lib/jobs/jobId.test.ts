import { describe, expect, it } from 'vitest';
import { newJobId } from '../../../lib/jobs/jobId';

describe('job ids', () => {
  it('have the documented shape and carry their creation time', () => {
    const at = new Date('2025-06-01T12:00:00.123Z');
    const id = newJobId(at);
    const m = /^batchjob-([0-9a-z]{9})-[0-9a-f]{8}$/.exec(id);
    expect(m).not.toBeNull();
    // The time, inverted from the largest 9-digit base36 number (so newer ids sort first).
    expect(new Date(36 ** 9 - 1 - parseInt(m![1]!, 36)).toISOString()).toBe(at.toISOString());
  });

  it('sort newest first as strings', () => {
    const times = [0, 1, 999, 1000, 60_000, 86_400_000 * 365 * 100].map((d) => new Date(Date.UTC(2020, 0, 1) + d));
    const ids = times.map((t) => newJobId(t));
    const sorted = [...ids].sort();
    expect(sorted).toEqual([...ids].reverse());
  });

  it('are unique within a millisecond', () => {
    const at = new Date();
    const ids = new Set(Array.from({ length: 1000 }, () => newJobId(at)));
    expect(ids.size).toBe(1000);
  });
});
