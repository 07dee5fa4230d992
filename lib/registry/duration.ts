import { z } from 'zod';

// Days, hours, minutes, seconds only: years and months have no fixed length in milliseconds.
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Parses an ISO-8601 duration such as `PT30S`, `PT1M30S` or `P1DT2H` to milliseconds; undefined if not one. */
export function parseIsoDuration(value: string): number | undefined {
  const m = ISO_DURATION.exec(value);
  if (!m || value.toUpperCase() === 'P' || /T$/i.test(value)) return undefined;
  const [, d, h, min, s] = m;
  const n = (x: string | undefined) => (x ? Number(x) : 0);
  return Math.round(((n(d) * 24 + n(h)) * 60 + n(min)) * 60_000 + n(s) * 1000);
}

/** A positive ISO-8601 duration, kept as the string the caller sent (upper-cased). */
export const durationSchema = z
  .string()
  .refine((v) => (parseIsoDuration(v) ?? 0) > 0, 'must be a positive ISO-8601 duration such as "PT30S" or "PT5M"')
  .transform((v) => v.toUpperCase());
