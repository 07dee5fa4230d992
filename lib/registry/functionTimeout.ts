import { ApiError } from '../http/apiError';
import { MAX_TIMEOUT_MS } from './deploymentSettings';
import { parseIsoDuration } from './duration';

/**
 * The Functions host's `functionTimeout` (host.json, or the app setting
 * `AzureFunctionsJobHost__functionTimeout` that overrides it): the host stops any function,
 * activities included, that runs longer. A mini-batch's own timeout must fire before it, or the
 * host kills the activity (and, on a timeout, restarts the worker) with no clear error.
 */
export interface FunctionTimeout {
  ms: number;
  /** As written, for messages: `00:30:00`. */
  text: string;
  /** Where it was read: `host.json`, or the app setting. */
  source: string;
}

/**
 * Parses a host.json TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`, seconds may have a fraction). `-1` (no
 * limit, Premium and Dedicated plans) and an absent value give undefined; a value the host would
 * refuse throws.
 */
export function parseFunctionTimeout(text: string | undefined, source: string): FunctionTimeout | undefined {
  if (text === undefined || text.trim() === '' || text.trim() === '-1') return undefined;
  const m = /^\s*(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$/.exec(text);
  if (!m) throw new Error(`functionTimeout '${text}' in ${source} is not a TimeSpan like 00:30:00.`);
  const [, days, h, min, s] = m;
  const ms = Math.round((((Number(days ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000);
  return { ms, text: text.trim(), source };
}

/**
 * Refuses a mini-batch timeout (ISO 8601, e.g. `PT45M`) that is not shorter than the host's
 * functionTimeout: 400 ValidationError naming both. Unparseable values are left to the schema.
 */
export function checkTimeoutFitsHost(timeout: string | undefined, host: FunctionTimeout | undefined, field: string): void {
  if (!host || timeout === undefined) return;
  const ms = parseIsoDuration(timeout);
  // Unparseable or past P24D: the settings schema's own error says more.
  if (ms === undefined || ms > MAX_TIMEOUT_MS || ms < host.ms) return;
  const message =
    `${field} is ${timeout}, not shorter than the Functions host's functionTimeout of ${host.text} (${host.source}): ` +
    `the host would stop the mini-batch before its own timeout fires. Use a shorter timeout, or raise functionTimeout.`;
  throw new ApiError(400, 'ValidationError', message, field, [{ code: 'TimeoutPastFunctionTimeout', message, target: field }]);
}
