/**
 * Order statistics for benchmark samples: percentiles by linear interpolation, the median of
 * round medians with its interquartile range, and a compact summary.
 */

/** A summary of one set of samples, in the samples' unit. */
export type Summary = {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
};

/** The q-quantile (0..1) of sorted values, interpolated. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] ?? Number.NaN;
  const high = sorted[upper] ?? Number.NaN;
  return low + (high - low) * (position - lower);
}

/** The q-quantile of unsorted values. */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** p50/p90/p99/min/max/mean of values. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    n: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

/** Median and interquartile range of per-round figures (the verdict figure of a ladder). */
export type RoundVerdict = { readonly median: number; readonly q1: number; readonly q3: number };

export function verdict(perRound: readonly number[]): RoundVerdict {
  return {
    median: quantile(perRound, 0.5),
    q1: quantile(perRound, 0.25),
    q3: quantile(perRound, 0.75),
  };
}

/** Rounds a number to `digits` decimals (for JSON that people read). */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (let index = 0; index < n; index += 1) {
    sx += xs[index] ?? 0;
    sy += ys[index] ?? 0;
  }
  const mx = sx / n;
  const my = sy / n;
  let numerator = 0;
  let denominator = 0;
  for (let index = 0; index < n; index += 1) {
    const dx = (xs[index] ?? 0) - mx;
    numerator += dx * ((ys[index] ?? 0) - my);
    denominator += dx * dx;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}
