import { describe, expect, it } from 'vitest';
import { isJobId, jobIdTime, newJobId } from '../../../lib/jobs/jobId';

describe('job ids', () => {
  it('have the documented shape and carry their creation time', () => {
    const at = new Date('2025-06-01T12:00:00.123Z');
    const id = newJobId(at);
    expect(id).toMatch(/^batchjob-[0-9a-z]{9}-[0-9a-f]{8}$/);
    expect(isJobId(id)).toBe(true);
    expect(jobIdTime(id)?.toISOString()).toBe(at.toISOString());
    expect(isJobId('batchjob-../x')).toBe(false);
    expect(jobIdTime('job-1')).toBeUndefined();
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
