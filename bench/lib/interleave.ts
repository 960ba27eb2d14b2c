/**
 * The interleaved method: every rung makes one call, in a fresh random order, then the next
 * sweep; a round is a few sweeps. Drift on the machine (other processes, CPU frequency, GC
 * state) moves every rung alike within a round, so a paired per-round difference cancels it,
 * and the random order keeps any rung from always following a given other one. Per rung and
 * round: the round median; per rung against its baseline: the median over rounds of the paired
 * differences of round medians, with a sign-test interval, and the difference of pooled p99s
 * with a bootstrap interval over rounds.
 */
import {
  bootstrapInterval,
  type Estimate,
  median,
  medianInterval,
  quantileSorted,
  round,
  shuffle,
  summarize,
} from './stats.ts';

/** One rung as the engine sees it: a call that returns the figure to record, in ms. */
export type Contender = {
  readonly id: string;
  /** Makes one call; returns what to record (ms), or undefined to record nothing. */
  call(): Promise<number | undefined>;
};

/** Samples per rung: `[round][sample]` in ms, and the errors seen. */
export type Samples = {
  readonly rounds: number[][];
  errors: number;
  firstError?: string;
};

export type InterleaveSettings = {
  /** Rounds recorded. */
  readonly rounds: number;
  /** Sweeps per round (each rung calls once per sweep). */
  readonly sweepsPerRound: number;
  /** Sweeps run first and discarded. */
  readonly warmupSweeps: number;
};

/** Runs the sweeps; returns every rung's samples. */
export async function interleave(
  contenders: readonly Contender[],
  settings: InterleaveSettings,
  random: () => number,
  hooks: { onMeasureStart?: () => void } = {},
): Promise<Map<string, Samples>> {
  const samples = new Map<string, Samples>(
    contenders.map((contender) => [contender.id, { rounds: [], errors: 0 }]),
  );
  const order = [...contenders];
  const sweep = async (record: Map<string, number[]> | undefined) => {
    shuffle(order, random);
    for (const contender of order) {
      const target = samples.get(contender.id) as Samples;
      try {
        const value = await contender.call();
        if (value !== undefined) record?.get(contender.id)?.push(value);
      } catch (error) {
        target.errors += 1;
        target.firstError ??=
          error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  for (let index = 0; index < settings.warmupSweeps; index += 1) await sweep(undefined);
  hooks.onMeasureStart?.();
  for (let roundIndex = 0; roundIndex < settings.rounds; roundIndex += 1) {
    const perRung = new Map<string, number[]>(contenders.map((contender) => [contender.id, []]));
    for (let index = 0; index < settings.sweepsPerRound; index += 1) await sweep(perRung);
    for (const contender of contenders) {
      samples.get(contender.id)?.rounds.push(perRung.get(contender.id) ?? []);
    }
  }
  return samples;
}

/** An estimate in µs, rounded for people (the raw figures are ms). */
export type EstimateUs = {
  readonly estimateUs: number;
  readonly intervalUs: readonly [number, number];
  readonly confidence: number;
  readonly rounds: number;
};

export function toMicroseconds(estimate: Estimate, digits = 1): EstimateUs {
  return {
    estimateUs: round(estimate.estimate * 1000, digits),
    intervalUs: [
      round(estimate.interval[0] * 1000, digits),
      round(estimate.interval[1] * 1000, digits),
    ],
    confidence: round(estimate.confidence, 3),
    rounds: estimate.n,
  };
}

/** Rounds where both series have samples, as paired round indices. */
function pairedRounds(series: Samples, baseline: Samples): number[] {
  const rounds: number[] = [];
  for (let index = 0; index < series.rounds.length; index += 1) {
    if ((series.rounds[index]?.length ?? 0) > 0 && (baseline.rounds[index]?.length ?? 0) > 0) {
      rounds.push(index);
    }
  }
  return rounds;
}

/** Median over rounds of (series round median − baseline round median), with its interval. */
export function pairedMedianDifference(series: Samples, baseline: Samples): Estimate {
  const differences = pairedRounds(series, baseline).map(
    (index) => median(series.rounds[index] ?? []) - median(baseline.rounds[index] ?? []),
  );
  return medianInterval(differences);
}

/** Median over rounds of (series round median / baseline round median), with its interval. */
export function pairedMedianRatio(series: Samples, baseline: Samples): Estimate {
  const ratios = pairedRounds(series, baseline).map(
    (index) => median(series.rounds[index] ?? []) / median(baseline.rounds[index] ?? []),
  );
  return medianInterval(ratios);
}

/** Pooled p99 of series minus pooled p99 of baseline, bootstrapped over paired rounds. */
export function pooledP99Difference(
  series: Samples,
  baseline: Samples,
  random: () => number,
): Estimate {
  const rounds = pairedRounds(series, baseline);
  const p99 = (source: Samples, indices: readonly number[]) => {
    const pooled: number[] = [];
    for (const index of indices) pooled.push(...(source.rounds[rounds[index] ?? 0] ?? []));
    pooled.sort((a, b) => a - b);
    return quantileSorted(pooled, 0.99);
  };
  return bootstrapInterval(
    rounds.length,
    (indices) => p99(series, indices) - p99(baseline, indices),
    { random, resamples: 400 },
  );
}

/** What one rung measured, in µs, with its figures against the baseline when it has one. */
export function rungFigures(
  series: Samples,
  baseline: Samples | undefined,
  random: () => number,
): Record<string, unknown> {
  const pooled = summarize(series.rounds.flat().map((value) => value * 1000));
  return {
    n: pooled.n,
    p50Us: round(pooled.p50, 1),
    p99Us: round(pooled.p99, 1),
    errors: series.errors,
    ...(series.firstError === undefined ? {} : { firstError: series.firstError }),
    ...(baseline === undefined
      ? {}
      : {
          addedP50: toMicroseconds(pairedMedianDifference(series, baseline)),
          addedP99: toMicroseconds(pooledP99Difference(series, baseline, random)),
          ratioP50: (() => {
            const ratio = pairedMedianRatio(series, baseline);
            return {
              estimate: round(ratio.estimate, 4),
              interval: [round(ratio.interval[0], 4), round(ratio.interval[1], 4)],
              confidence: round(ratio.confidence, 3),
            };
          })(),
        }),
  };
}

/** A rung that reads cheaper than a rung it contains, beyond the interval. */
export type Contradiction = {
  readonly subset: string;
  readonly superset: string;
  /** superset − subset, paired per round. */
  readonly differenceUs: EstimateUs;
};

/**
 * Checks each (subset, superset) pair: a superset does at least the subset's work, so it cannot
 * be cheaper. When the whole interval of (superset − subset) is below zero, the method failed
 * on that pair and the superset's figures are not to be published.
 */
export function findContradictions(
  samples: ReadonlyMap<string, Samples>,
  pairs: readonly (readonly [string, string])[],
): { checked: Contradiction[]; contradictions: Contradiction[] } {
  const checked: Contradiction[] = [];
  for (const [subset, superset] of pairs) {
    const low = samples.get(subset);
    const high = samples.get(superset);
    if (low === undefined || high === undefined) continue;
    checked.push({
      subset,
      superset,
      differenceUs: toMicroseconds(pairedMedianDifference(high, low)),
    });
  }
  return {
    checked,
    contradictions: checked.filter((entry) => entry.differenceUs.intervalUs[1] < 0),
  };
}
