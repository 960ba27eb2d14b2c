/**
 * Concurrency 1, interleaved rounds: every rung makes the same call one at a time, plain and
 * streaming. Warm-up calls are discarded; each round runs every rung in a rotated order.
 * Reports per rung the pooled p50/p99, the median of round medians (with IQR), and the added
 * latency over its baseline (the `openai` SDK): the median over rounds of the paired
 * difference of round medians (p50) and of round p99s (p99; the pooled difference too). Streams: time to first
 * content chunk, gaps between content chunks, and chunks dropped (must be 0).
 */
import { buildLadder, type Rung } from '../lib/ladder.ts';
import { streamDeltas } from '../lib/mock-server.ts';
import { median, quantile, round, summarize, verdict } from '../lib/stats.ts';
import { collectWarnings, rotate, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
/** Each block starts from a collected heap, so no rung pays for another's garbage. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const settings = args.quick
  ? { rounds: 3, warmup: 100, plainCalls: 150, streamCalls: 50, budgetMs: 400 }
  : { rounds: 7, warmup: 300, plainCalls: 600, streamCalls: 200, budgetMs: 1500 };

const { rungs, problems } = await buildLadder({
  mockUrl: args.mockUrl,
  refusedUrl: args.refusedUrl,
  portkeyUrl: args.portkeyUrl,
});

type Samples = { perRound: number[][]; errors: number; firstError?: string };
const samples = (): Samples => ({ perRound: [], errors: 0 });
const plain = new Map<string, Samples>(rungs.map((rung) => [rung.id, samples()]));
const ttft = new Map<string, Samples>(rungs.map((rung) => [rung.id, samples()]));
const gaps = new Map<string, number[]>(rungs.map((rung) => [rung.id, []]));
const dropped = new Map<string, number>(rungs.map((rung) => [rung.id, 0]));

const noteError = (target: Samples, error: unknown) => {
  target.errors += 1;
  target.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
};

async function runPlain(rung: Rung, calls: number, budgetMs: number, into?: number[]) {
  const target = plain.get(rung.id) as Samples;
  const until = performance.now() + budgetMs;
  for (let index = 0; index < calls && performance.now() < until; index += 1) {
    const start = performance.now();
    try {
      await rung.plain();
      into?.push(performance.now() - start);
    } catch (error) {
      noteError(target, error);
    }
  }
}

async function runStream(rung: Rung, calls: number, budgetMs: number, record: boolean) {
  const target = ttft.get(rung.id) as Samples;
  const roundTtft: number[] = [];
  const until = performance.now() + budgetMs;
  for (let index = 0; index < calls && performance.now() < until; index += 1) {
    try {
      const timing = await rung.stream();
      if (!record) continue;
      roundTtft.push(timing.ttftMs);
      gaps.get(rung.id)?.push(...timing.gapsMs);
      dropped.set(rung.id, (dropped.get(rung.id) ?? 0) + (streamDeltas - timing.contentChunks));
    } catch (error) {
      noteError(target, error);
    }
  }
  if (record) target.perRound.push(roundTtft);
}

const started = performance.now();
for (const rung of rungs) {
  await runPlain(rung, settings.warmup, settings.budgetMs);
  await runStream(rung, Math.ceil(settings.warmup / 3), settings.budgetMs, false);
}
for (let roundIndex = 0; roundIndex < settings.rounds; roundIndex += 1) {
  for (const rung of rotate(rungs, roundIndex)) {
    collect();
    const into: number[] = [];
    await runPlain(rung, settings.plainCalls, settings.budgetMs, into);
    plain.get(rung.id)?.perRound.push(into);
  }
  for (const rung of rotate(rungs, roundIndex + 1)) {
    collect();
    await runStream(rung, settings.streamCalls, settings.budgetMs, true);
  }
}

/** Per-rung figures in microseconds. */
function figures(series: Samples, baseline: Samples | undefined) {
  const pooled = series.perRound.flat();
  const roundMedians = series.perRound.map((values) => median(values) * 1000);
  const summary = summarize(pooled.map((value) => value * 1000));
  const result: Record<string, unknown> = {
    n: summary.n,
    p50Us: round(summary.p50, 1),
    p99Us: round(summary.p99, 1),
    meanUs: round(summary.mean, 1),
    roundMedianUs: mapVerdict(verdict(roundMedians)),
    errors: series.errors,
    ...(series.firstError === undefined ? {} : { firstError: series.firstError }),
  };
  if (baseline !== undefined) {
    const basePooled = summarize(baseline.perRound.flat().map((value) => value * 1000));
    const paired = series.perRound.map(
      (values, index) => (median(values) - median(baseline.perRound[index] ?? [])) * 1000,
    );
    const pairedP99 = series.perRound.map(
      (values, index) =>
        (quantile(values, 0.99) - quantile(baseline.perRound[index] ?? [], 0.99)) * 1000,
    );
    result['addedP50Us'] = round(verdict(paired).median, 1);
    result['addedP50IqrUs'] = [round(verdict(paired).q1, 1), round(verdict(paired).q3, 1)];
    result['addedP99Us'] = round(verdict(pairedP99).median, 1);
    result['addedP99IqrUs'] = [round(verdict(pairedP99).q1, 1), round(verdict(pairedP99).q3, 1)];
    result['pooledAddedP99Us'] = round(summary.p99 - basePooled.p99, 1);
  }
  return result;
}

function mapVerdict(value: { median: number; q1: number; q3: number }) {
  return { median: round(value.median, 1), q1: round(value.q1, 1), q3: round(value.q3, 1) };
}

const result = {
  settings,
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  rungs: rungs.map((rung) => {
    const baseline = rung.baseline === rung.id ? undefined : rung.baseline;
    const gapSummary = summarize((gaps.get(rung.id) ?? []).map((value) => value * 1000));
    const baseGaps =
      baseline === undefined
        ? undefined
        : summarize((gaps.get(baseline) ?? []).map((value) => value * 1000));
    return {
      id: rung.id,
      label: rung.label,
      group: rung.group,
      baseline: rung.baseline,
      plain: figures(
        plain.get(rung.id) as Samples,
        baseline === undefined ? undefined : plain.get(baseline),
      ),
      stream: {
        ttft: figures(
          ttft.get(rung.id) as Samples,
          baseline === undefined ? undefined : ttft.get(baseline),
        ),
        gaps: {
          n: gapSummary.n,
          p50Us: round(gapSummary.p50, 1),
          p99Us: round(gapSummary.p99, 1),
          ...(baseGaps === undefined
            ? {}
            : {
                addedP50Us: round(gapSummary.p50 - baseGaps.p50, 1),
                addedP99Us: round(gapSummary.p99 - baseGaps.p99, 1),
              }),
        },
        droppedChunks: dropped.get(rung.id) ?? 0,
      },
    };
  }),
};
for (const rung of rungs) await rung.close?.();
writeResult(args.out, result);
