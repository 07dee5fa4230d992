import type { HostsContainer } from './hostsContainer';
import type { TimerSchedule } from './ncrontab';
import { isNotFound } from './storageErrors';

/** A timer's schedule status; `last` is unset until the first occurrence ran. */
export interface ScheduleStatus {
  last?: Date;
  next: Date;
  lastUpdated: Date;
}

/** .NET's `default(DateTime)`, which the real host writes for a timer that never ran. */
export const NEVER = '0001-01-01T00:00:00.000Z';

/**
 * Schedule status kept in `azure-webjobs-hosts/timers/<hostId>/<function>/status` (JSON with
 * `Last`, `Next`, `LastUpdated`, like the real host's), so that an occurrence missed while the host
 * was down is noticed on the next start.
 */
export class ScheduleMonitor {
  readonly path: string;

  constructor(
    private readonly hosts: HostsContainer,
    hostId: string,
    functionName: string,
  ) {
    this.path = `timers/${hostId}/${functionName}/status`;
  }

  async read(): Promise<(Omit<ScheduleStatus, 'lastUpdated'> & { lastUpdated?: Date }) | undefined> {
    let text: string;
    try {
      text = (await this.hosts.client.getBlobClient(this.path).downloadToBuffer()).toString('utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const date = (v: unknown) => {
        const t = typeof v === 'string' ? Date.parse(v) : NaN;
        // Year 1 is "never" in .NET.
        return Number.isFinite(t) && new Date(t).getUTCFullYear() > 1 ? new Date(t) : undefined;
      };
      const next = date(json.Next);
      if (!next) return undefined;
      return { last: date(json.Last), next, lastUpdated: date(json.LastUpdated) };
    } catch {
      // A status we cannot read is as good as none: it is rewritten below.
      return undefined;
    }
  }

  async write(status: ScheduleStatus): Promise<void> {
    await this.hosts.ensure();
    const body = JSON.stringify({
      Last: status.last?.toISOString() ?? NEVER,
      Next: status.next.toISOString(),
      LastUpdated: status.lastUpdated.toISOString(),
    });
    await this.hosts.client.getBlockBlobClient(this.path).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }

  /**
   * The real host's start-up check: with no status yet, record the next occurrence; if the stored
   * `Next` no longer follows from the schedule (it changed), recompute it; then the timer is past
   * due when that recorded occurrence is already behind `now`.
   */
  async checkPastDue(now: Date, schedule: TimerSchedule): Promise<{ status: ScheduleStatus; pastDue: boolean }> {
    const stored = await this.read();
    let status: ScheduleStatus;
    if (!stored) {
      status = { next: schedule.next(now), lastUpdated: now };
      await this.write(status);
    } else {
      const since = stored.lastUpdated ?? stored.last;
      const expected = since ? schedule.next(since) : stored.next;
      status = { last: stored.last, next: stored.next, lastUpdated: stored.lastUpdated ?? now };
      if (expected.getTime() !== stored.next.getTime()) {
        status = { last: stored.last, next: expected, lastUpdated: now };
        await this.write(status);
      }
    }
    return { status, pastDue: now.getTime() > status.next.getTime() };
  }
}
