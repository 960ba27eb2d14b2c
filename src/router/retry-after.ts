/**
 * The wait a server asks for: `retry-after-ms` (milliseconds), then `Retry-After` (seconds or an
 * HTTP date). Undefined when absent or malformed.
 */
import { APIError } from 'openai';

/** Milliseconds the server asked to wait, or undefined. `now` is the current epoch time in ms. */
export function retryAfterMs(error: unknown, now: number): number | undefined {
  if (!(error instanceof APIError) || error.headers === undefined) return undefined;
  const milliseconds = error.headers.get('retry-after-ms');
  if (milliseconds !== null) {
    const value = Number(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const header = error.headers.get('retry-after');
  if (header === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(header)) return Math.ceil(Number(header) * 1000);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
