import parseRange from 'range-parser';

// range-parser (the expressjs package) rather than a hand-written parser: the RFC's forms and
// edge cases (suffix ranges, clamping to the size, malformed headers) are its whole job.

/**
 * One byte range of a `Range` header (range-parser: RFC 9110 forms `a-b`, `a-`, `-n`), or
 * undefined for none; a malformed header or several ranges are ignored (the whole file), as the
 * RFC allows.
 */
export function requestedRange(header: string | null, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}
