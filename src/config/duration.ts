/**
 * Durations in the config: `250ms`, `20s`, `1.5s`, `5m`, `1h`, or a whole number of milliseconds.
 */
const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds for a config duration, rounded to a whole millisecond; undefined if malformed. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^([0-9]{1,9}(?:\.[0-9]{1,3})?)(ms|s|m|h)$/.exec(value);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = unitMs[match[2] ?? ''];
  return unit === undefined ? undefined : Math.round(amount * unit);
}

/** A readable duration for messages and plans: `250ms`, `20s`, `1.5s`, `5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 1000 !== 0) return `${Number((ms / 1000).toFixed(3))}s`;
  if (ms % 60_000 === 0 && ms < 3_600_000) return `${ms / 60_000}m`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${ms / 1000}s`;
}
