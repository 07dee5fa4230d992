import { CronExpressionParser } from 'cron-parser';
import { parseTimeSpan } from '../settings';

/** A timer trigger schedule: NCRONTAB, or a TimeSpan (`hh:mm:ss`, a fixed interval). */
export interface TimerSchedule {
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
  /** What the timer payload reports as `schedule.adjustForDST`. */
  readonly adjustForDST: boolean;
  readonly description: string;
}

/**
 * Parses `{second} {minute} {hour} {day} {month} {day-of-week}` (the seconds field optional) with
 * cron-parser, bent to NCRONTAB's rules: extensions NCRONTAB rejects (`L`, `W`, `#`, `H`) are
 * rejected, and when both day fields are restricted a time must match both (cron-parser, like
 * Vixie cron, accepts either). `tz` is an IANA zone: the host's time zone, as `func start` uses.
 */
export function parseTimerSchedule(expression: string, tz: string): TimerSchedule {
  const text = expression.trim();
  if (text.includes(':')) {
    const interval = parseTimeSpan(text);
    if (interval <= 0) throw new Error(`The schedule interval '${text}' must be positive.`);
    return { next: (after) => new Date(after.getTime() + interval), adjustForDST: false, description: `every ${text}` };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new Error(`'${text}' is not a valid NCRONTAB schedule: expected '{second} {minute} {hour} {day} {month} {day-of-week}'.`);
  }
  for (const field of fields) {
    if (/[LWH#]/i.test(field.replace(/[A-Za-z]{3}/g, ''))) throw new Error(`'${text}' is not a valid NCRONTAB schedule: '${field}' uses a syntax NCRONTAB does not support.`);
  }
  let parsed;
  try {
    parsed = CronExpressionParser.parse(text, { tz });
  } catch (err) {
    throw new Error(`'${text}' is not a valid NCRONTAB schedule: ${(err as Error).message}`);
  }
  const bothDays = !parsed.fields.dayOfMonth.isWildcard && !parsed.fields.dayOfWeek.isWildcard;
  // Search on days of the month only, then keep the days whose weekday also matches.
  const search = bothDays ? [...fields.slice(0, -1), '*'].join(' ') : text;
  const weekdays = new Set(parsed.fields.dayOfWeek.values.map((d) => Number(d) % 7));

  const next = (after: Date): Date => {
    let cursor: Date = after;
    // Each miss moves to the end of that day; 30 years of days bounds an impossible schedule.
    for (let i = 0; i < 11_000; i++) {
      const candidate = CronExpressionParser.parse(search, { tz, currentDate: cursor }).next();
      if (!bothDays || weekdays.has(candidate.getDay())) return candidate.toDate();
      candidate.setEndOfDay();
      cursor = candidate.toDate();
    }
    throw new Error(`The schedule '${text}' has no occurrence in the next 30 years.`);
  };
  return { next, adjustForDST: true, description: text };
}
