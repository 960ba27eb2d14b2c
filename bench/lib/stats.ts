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

/** A point estimate with its confidence interval, in the estimate's unit. */
export type Estimate = {
  readonly estimate: number;
  /** Lower and upper bounds of the interval. */
  readonly interval: readonly [number, number];
  /** The interval's actual coverage (e.g. 0.96). */
  readonly confidence: number;
  /** How many values (rounds) it rests on. */
  readonly n: number;
};

/** ln(n!) by summing logs (n stays in the hundreds here). */
function logFactorial(n: number): number {
  let sum = 0;
  for (let index = 2; index <= n; index += 1) sum += Math.log(index);
  return sum;
}

/** P(B ≤ k) for B ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  if (k < 0) return 0;
  const logN = logFactorial(n);
  let total = 0;
  for (let index = 0; index <= Math.min(k, n); index += 1) {
    total += Math.exp(logN - logFactorial(index) - logFactorial(n - index) - n * Math.LN2);
  }
  return total;
}

/**
 * The median of `values` with its distribution-free confidence interval from the sign test: the
 * k-th smallest and k-th largest values, for the largest k whose coverage
 * 1 − 2·P(B ≤ k − 1), B ~ Binomial(n, 1/2), is still at least `level`. Assumes nothing about
 * the shape of the values, only that they are independent (one per round).
 */
export function medianInterval(values: readonly number[], level = 0.95): Estimate {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0)
    return { estimate: Number.NaN, interval: [Number.NaN, Number.NaN], confidence: 0, n };
  let k = 1;
  while (k + 1 <= n / 2 && 1 - 2 * binomialHalfCdf(n, k) >= level) k += 1;
  const confidence = 1 - 2 * binomialHalfCdf(n, k - 1);
  return {
    estimate: quantileSorted(sorted, 0.5),
    interval: [sorted[k - 1] ?? Number.NaN, sorted[n - k] ?? Number.NaN],
    confidence,
    n,
  };
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same order. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles in place (Fisher–Yates) with `random`. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const swap = items[index] as T;
    items[index] = items[other] as T;
    items[other] = swap;
  }
  return items;
}

/**
 * A percentile-bootstrap interval over rounds: `statistic` is computed on `resamples` sets of
 * round indices drawn with replacement (the same indices for every series it reads, so paired
 * series stay paired); the estimate is the statistic on all rounds.
 */
export function bootstrapInterval(
  rounds: number,
  statistic: (indices: readonly number[]) => number,
  options: { resamples?: number; level?: number; random: () => number },
): Estimate {
  const all = Array.from({ length: rounds }, (_, index) => index);
  const estimate = statistic(all);
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const draws: number[] = [];
  for (let draw = 0; draw < resamples; draw += 1) {
    const indices = all.map(() => Math.floor(options.random() * rounds));
    draws.push(statistic(indices));
  }
  draws.sort((a, b) => a - b);
  return {
    estimate,
    interval: [quantileSorted(draws, (1 - level) / 2), quantileSorted(draws, (1 + level) / 2)],
    confidence: level,
    n: rounds,
  };
}

/**
 * P(W⁺ ≤ w) for w = 0..n(n+1)/2, where W⁺ is the Wilcoxon signed-rank statistic of n values
 * symmetric about their centre (each rank 1..n counted with probability 1/2, independently).
 */
function signedRankCdf(n: number): number[] {
  const most = (n * (n + 1)) / 2;
  let probabilities = new Array<number>(most + 1).fill(0);
  probabilities[0] = 1;
  for (let rank = 1; rank <= n; rank += 1) {
    const next = new Array<number>(most + 1).fill(0);
    for (let sum = 0; sum <= most; sum += 1) {
      const here = (probabilities[sum] ?? 0) / 2;
      if (here === 0) continue;
      next[sum] = (next[sum] ?? 0) + here;
      if (sum + rank <= most) next[sum + rank] = (next[sum + rank] ?? 0) + here;
    }
    probabilities = next;
  }
  let total = 0;
  return probabilities.map((probability) => {
    total += probability;
    return total;
  });
}

/**
 * The Hodges–Lehmann estimate of the centre of `values` (the median of all pairwise means,
 * each value with itself included) with its confidence interval from the exact Wilcoxon
 * signed-rank distribution: the k-th smallest and k-th largest pairwise means, for the largest k
 * whose coverage 1 − 2·P(W⁺ ≤ k − 1) is still at least `level`. Assumes the values are
 * independent and symmetric about their centre (as paired log-ratios of an A/A comparison are by
 * construction); for such values it is nearly as tight as a mean's interval on normal data, and
 * like the median it shrugs off a few wild values.
 */
export function hodgesLehmannInterval(values: readonly number[], level = 0.95): Estimate {
  const n = values.length;
  if (n === 0)
    return { estimate: Number.NaN, interval: [Number.NaN, Number.NaN], confidence: 0, n };
  const means: number[] = [];
  for (let first = 0; first < n; first += 1) {
    for (let second = first; second < n; second += 1) {
      means.push(((values[first] as number) + (values[second] as number)) / 2);
    }
  }
  means.sort((a, b) => a - b);
  const cdf = signedRankCdf(n);
  let k = 1;
  while (k + 1 <= means.length / 2 && 1 - 2 * (cdf[k] ?? 1) >= level) k += 1;
  const confidence = 1 - 2 * (cdf[k - 1] ?? 1);
  return {
    estimate: quantileSorted(means, 0.5),
    interval: [means[k - 1] ?? Number.NaN, means[means.length - k] ?? Number.NaN],
    confidence,
    n,
  };
}
