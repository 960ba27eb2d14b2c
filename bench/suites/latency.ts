/**
 * The whole ladder at concurrency 1 — HTTP baselines, the SDK and its A/A control, Switchyard,
 * and the peers — by the same interleaved method as the overhead suite (bench/lib/interleave.ts):
 * one call per rung per sweep in a fresh random order, short rounds, the median over rounds of
 * each rung's paired difference from the SDK with a sign-test interval, and the pooled p99
 * difference with a bootstrap interval. Plain calls and streams (time to first content chunk,
 * gaps between content chunks, chunks dropped). Fewer calls than the overhead suite: the peers
 * are slower (Portkey holds every stream's first chunk back ~25 ms).
 */
import { findContradictions, interleave, rungFigures, type Samples } from '../lib/interleave.ts';
import { buildLadder } from '../lib/ladder.ts';
import { streamDeltas } from '../lib/mock-server.ts';
import { round, seededRandom, summarize } from '../lib/stats.ts';
import { collectWarnings, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const random = seededRandom(args.seed);
const settings = args.quick
  ? {
      plain: { rounds: 15, sweepsPerRound: 5, warmupSweeps: 50 },
      stream: { rounds: 10, sweepsPerRound: 3, warmupSweeps: 10 },
    }
  : {
      plain: { rounds: 60, sweepsPerRound: 8, warmupSweeps: 150 },
      stream: { rounds: 30, sweepsPerRound: 5, warmupSweeps: 30 },
    };

const { rungs, problems } = await buildLadder({
  mockUrl: args.mockUrl,
  refusedUrl: args.refusedUrl,
  portkeyUrl: args.portkeyUrl,
});

const started = performance.now();
const plain = await interleave(
  rungs.map((rung) => ({
    id: rung.id,
    async call() {
      const start = performance.now();
      await rung.plain();
      return performance.now() - start;
    },
  })),
  settings.plain,
  random,
);
const gaps = new Map<string, number[]>();
const dropped = new Map<string, number>();
const stream = await interleave(
  rungs.map((rung) => ({
    id: rung.id,
    async call() {
      const timing = await rung.stream();
      gaps.get(rung.id)?.push(...timing.gapsMs);
      dropped.set(rung.id, (dropped.get(rung.id) ?? 0) + streamDeltas - timing.contentChunks);
      return timing.ttftMs;
    },
  })),
  settings.stream,
  random,
  {
    onMeasureStart() {
      for (const rung of rungs) {
        gaps.set(rung.id, []);
        dropped.set(rung.id, 0);
      }
    },
  },
);

/** Each superset does at least its subset's work (see the overhead suite). */
const pairs = [
  ['undici', 'fetch'],
  ['sdk', 'wrapper'],
  ['router-one', 'router-chain'],
  ['router-chain', 'router-full'],
  ['sdk', 'portkey-one'],
  ['portkey-one', 'portkey-chain'],
  ['ai-sdk', 'ai-fallback'],
  ['langchain', 'langchain-fallbacks'],
] as const;
const plainConsistency = findContradictions(plain, pairs);
const streamConsistency = findContradictions(stream, pairs);

const hasBaseline = (id: string, baseline: string) => baseline !== id;
const result = {
  settings,
  seed: args.seed,
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  rungs: rungs.map((rung) => {
    const baseline = hasBaseline(rung.id, rung.baseline) ? rung.baseline : undefined;
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
      plain: rungFigures(
        plain.get(rung.id) as Samples,
        baseline === undefined ? undefined : plain.get(baseline),
        random,
      ),
      stream: {
        ttft: rungFigures(
          stream.get(rung.id) as Samples,
          baseline === undefined ? undefined : stream.get(baseline),
          random,
        ),
        gaps: {
          n: gapSummary.n,
          p50Us: round(gapSummary.p50, 2),
          p99Us: round(gapSummary.p99, 2),
          ...(baseGaps === undefined
            ? {}
            : {
                addedP50Us: round(gapSummary.p50 - baseGaps.p50, 2),
                addedP99Us: round(gapSummary.p99 - baseGaps.p99, 2),
              }),
        },
        droppedChunks: dropped.get(rung.id) ?? 0,
      },
    };
  }),
  consistency: {
    plain: plainConsistency.checked,
    ttft: streamConsistency.checked,
    contradictions: [
      ...plainConsistency.contradictions.map((entry) => ({ kind: 'plain', ...entry })),
      ...streamConsistency.contradictions.map((entry) => ({ kind: 'ttft', ...entry })),
    ],
  },
};
for (const rung of rungs) await rung.close?.();
writeResult(args.out, result);
