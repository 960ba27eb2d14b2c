/**
 * What Switchyard adds to a call over the `openai` SDK alone, at concurrency 1, by the
 * interleaved method (bench/lib/interleave.ts): every rung makes one call per sweep in a fresh
 * random order, a few sweeps make a round, many short rounds; per rung, the median over rounds
 * of its paired difference from the SDK, with a sign-test interval; the pooled p99 difference
 * with a bootstrap interval; the same for the time to the first streamed chunk; and the heap
 * bytes allocated per call (v8's GC profiler), block against block.
 *
 * Rungs: the SDK; a second, identical SDK client (the A/A control: its reading is the noise the
 * method cannot tell from zero); a minimal wrapper with a cached client; Switchyard with one
 * target, with a 3-deep chain, and the chain with every feature on. A rung that contains
 * another yet reads cheaper than it beyond the interval is listed as a contradiction.
 *
 * `--guard`: a short run of the SDK, the control and the two plain Switchyard rungs; the guard
 * fails when a rung's added p50 over the SDK exceeds the target by more than the control's
 * noise (the larger end of the control's interval, in absolute value).
 */
import { allocatedPerCall } from '../lib/garbage.ts';
import {
  type Contender,
  findContradictions,
  interleave,
  pairedMedianDifference,
  rungFigures,
  type Samples,
  toMicroseconds,
} from '../lib/interleave.ts';
import { buildLadder, ownRungIds, type Rung } from '../lib/ladder.ts';
import { streamDeltas } from '../lib/mock-server.ts';
import { medianInterval, round, seededRandom, shuffle, summarize } from '../lib/stats.ts';
import { stubFetch } from '../lib/stub-fetch.ts';
import { collectWarnings, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const random = seededRandom(args.seed);

/** The added-p50 target over the SDK, µs (plain calls and time to first chunk). */
const targetUs = 15;

// The warm-up is long enough for V8 to have optimized every function on each rung's call path
// (its optimizing compiler takes a function after a few thousand calls): the figures are a
// warmed process's, as a server's would be. The SDK's own code warms sooner, being shared by
// every rung; a short warm-up measures the router's code in V8's baseline tiers instead.
const settings = args.guard
  ? {
      plain: { rounds: 80, sweepsPerRound: 20, warmupSweeps: 3000 },
      stream: { rounds: 50, sweepsPerRound: 16, warmupSweeps: 3000 },
      garbage: { rounds: 0, plainCalls: 0, streamCalls: 0, warmupCalls: 0 },
      inProcess: { rounds: 0, sweepsPerRound: 0, warmupSweeps: 0, clearBytes: 0 },
    }
  : args.quick
    ? {
        plain: { rounds: 40, sweepsPerRound: 15, warmupSweeps: 1000 },
        stream: { rounds: 30, sweepsPerRound: 10, warmupSweeps: 1000 },
        garbage: { rounds: 3, plainCalls: 300, streamCalls: 100, warmupCalls: 500 },
        inProcess: { rounds: 10, sweepsPerRound: 10, warmupSweeps: 200, clearBytes: 32 << 20 },
      }
    : {
        plain: { rounds: 200, sweepsPerRound: 20, warmupSweeps: 4000 },
        stream: { rounds: 120, sweepsPerRound: 15, warmupSweeps: 4000 },
        garbage: { rounds: 40, plainCalls: 150, streamCalls: 60, warmupCalls: 3000 },
        inProcess: { rounds: 60, sweepsPerRound: 10, warmupSweeps: 500, clearBytes: 32 << 20 },
      };

const ids = args.guard ? ['sdk', 'sdk-control', 'router-one', 'router-chain'] : ownRungIds;
const { rungs, problems } = await buildLadder({
  mockUrl: args.mockUrl,
  refusedUrl: args.refusedUrl,
  only: ids,
});
const sdk = rungs.find((rung) => rung.id === 'sdk');
if (sdk === undefined) throw new Error(`the SDK rung did not build: ${JSON.stringify(problems)}`);

/**
 * Each superset does at least its subset's work. Switchyard is not paired with the SDK or the
 * wrapper: it reads a stream's events and a chat completion's body itself instead of through
 * the SDK's parse, so it does not contain the SDK's whole work and may read cheaper.
 */
const pairs = [
  ['sdk', 'wrapper'],
  ['router-one', 'router-chain'],
  ['router-chain', 'router-full'],
] as const;

const started = performance.now();

// Plain calls: the wall time of the whole call.
const plainSamples = await interleave(
  rungs.map(
    (rung): Contender => ({
      id: rung.id,
      async call() {
        const start = performance.now();
        await rung.plain();
        return performance.now() - start;
      },
    }),
  ),
  settings.plain,
  random,
);

// Streams: the time to the first content chunk; the stream is read to its end.
const gaps = new Map<string, number[]>(rungs.map((rung) => [rung.id, []]));
const dropped = new Map<string, number>(rungs.map((rung) => [rung.id, 0]));
const streamSamples = await interleave(
  rungs.map(
    (rung): Contender => ({
      id: rung.id,
      async call() {
        const timing = await rung.stream();
        gaps.get(rung.id)?.push(...timing.gapsMs);
        dropped.set(rung.id, (dropped.get(rung.id) ?? 0) + streamDeltas - timing.contentChunks);
        return timing.ttftMs;
      },
    }),
  ),
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

// Garbage: the same rungs over an in-process fetch that answers with the mock's bytes, so the
// network stack's own allocations (which vary with timing) stay out of the blocks; blocks of
// calls per rung, rungs in a random order each round, after a warm-up. Many short blocks rather
// than a few long ones: now and then a block allocates far more than the others (the same
// code, the same calls), and the median over many blocks is not moved by it. An A/A of two
// identical trees over 40 rounds of 150 calls read 0 B [-132, +178] and -87 B [-274, +81],
// where 15 rounds of 400 read -127 B [-914, +332] and -324 B [-723, +118].
const inProcess =
  settings.garbage.rounds === 0
    ? { rungs: [] as Rung[] }
    : await buildLadder({
        mockUrl: args.mockUrl,
        refusedUrl: args.refusedUrl,
        only: ids,
        fetch: stubFetch as typeof fetch,
      });
const garbageRungs = inProcess.rungs;
for (let index = 0; index < settings.garbage.warmupCalls; index += 1) {
  for (const rung of garbageRungs) {
    await rung.plain();
    await rung.stream();
  }
}
const garbage = new Map<string, { plain: number[]; stream: number[] }>(
  garbageRungs.map((rung) => [rung.id, { plain: [], stream: [] }]),
);
for (let roundIndex = 0; roundIndex < settings.garbage.rounds; roundIndex += 1) {
  for (const rung of shuffle([...garbageRungs], random)) {
    garbage
      .get(rung.id)
      ?.plain.push(await allocatedPerCall(() => rung.plain(), settings.garbage.plainCalls));
  }
  for (const rung of shuffle([...garbageRungs], random)) {
    garbage
      .get(rung.id)
      ?.stream.push(await allocatedPerCall(() => rung.stream(), settings.garbage.streamCalls));
  }
}

// The first chunk without the network. The same streams over the in-process fetch (no
// network: what is timed is the code's own work), once with the CPU caches warm from the call
// before, and once with them cleared before each call, as a wait for the network leaves them:
// a buffer larger than the caches is written (one byte per 64-byte line) outside the timing.
const inProcessIds = new Set(['sdk', 'sdk-control', 'router-one', 'router-chain']);
const firstChunkRungs = garbageRungs.filter((rung) => inProcessIds.has(rung.id));
const cacheClearer = new Uint8Array(settings.inProcess.clearBytes);
const clearCaches = () => {
  for (let index = 0; index < cacheClearer.length; index += 64) {
    cacheClearer[index] = ((cacheClearer[index] ?? 0) + 1) & 255;
  }
};
const firstChunkInProcess = (clear: boolean) =>
  interleave(
    firstChunkRungs.map(
      (rung): Contender => ({
        id: rung.id,
        async call() {
          if (clear) clearCaches();
          return (await rung.stream()).ttftMs;
        },
      }),
    ),
    settings.inProcess,
    random,
  );
const inProcessSamples =
  settings.inProcess.rounds === 0
    ? undefined
    : { warm: await firstChunkInProcess(false), cleared: await firstChunkInProcess(true) };
const inProcessFigures = (samples: Map<string, Samples>) => {
  const base = samples.get('sdk') as Samples;
  return {
    sdkP50Us: round(summarize(base.rounds.flat().map((value) => value * 1000)).p50, 1),
    added: Object.fromEntries(
      firstChunkRungs
        .filter((rung) => rung.id !== 'sdk')
        .map((rung) => [
          rung.id,
          toMicroseconds(pairedMedianDifference(samples.get(rung.id) as Samples, base)),
        ]),
    ),
  };
};

const bytes = (values: number[]) => {
  const estimate = medianInterval(values);
  return {
    estimate: Math.round(estimate.estimate),
    interval: [Math.round(estimate.interval[0]), Math.round(estimate.interval[1])],
    confidence: round(estimate.confidence, 3),
    rounds: estimate.n,
  };
};
const garbageFigures = (rung: Rung) => {
  const own = garbage.get(rung.id);
  const base = garbage.get('sdk');
  if (own === undefined || own.plain.length === 0) return undefined;
  const added = (kind: 'plain' | 'stream') =>
    own[kind].map((value, index) => value - (base?.[kind][index] ?? Number.NaN));
  return {
    plainBytesPerCall: bytes(own.plain),
    streamBytesPerCall: bytes(own.stream),
    ...(rung.id === 'sdk'
      ? {}
      : {
          addedPlainBytesPerCall: bytes(added('plain')),
          addedStreamBytesPerCall: bytes(added('stream')),
        }),
  };
};

const baselineOf = (samples: Map<string, Samples>, rung: Rung) =>
  rung.id === 'sdk' ? undefined : samples.get('sdk');

// The control's noise: the larger end of its interval, in absolute value.
const noiseOf = (samples: Map<string, Samples>) => {
  const control = samples.get('sdk-control');
  const base = samples.get('sdk');
  if (control === undefined || base === undefined) return undefined;
  const estimate = toMicroseconds(pairedMedianDifference(control, base));
  return {
    controlUs: estimate,
    noiseUs: Math.max(Math.abs(estimate.intervalUs[0]), Math.abs(estimate.intervalUs[1])),
  };
};
const plainNoise = noiseOf(plainSamples);
const streamNoise = noiseOf(streamSamples);

const guardChecks: {
  rung: string;
  kind: string;
  addedP50Us: number;
  intervalUs: readonly [number, number];
  noiseUs: number;
  limitUs: number;
  pass: boolean;
}[] = [];
for (const id of ['router-one', 'router-chain']) {
  for (const [kind, samples, noise] of [
    ['plain', plainSamples, plainNoise],
    ['ttft', streamSamples, streamNoise],
  ] as const) {
    const series = samples.get(id);
    const base = samples.get('sdk');
    if (series === undefined || base === undefined || noise === undefined) continue;
    const added = toMicroseconds(pairedMedianDifference(series, base));
    const limitUs = round(targetUs + noise.noiseUs, 1);
    guardChecks.push({
      rung: id,
      kind,
      addedP50Us: added.estimateUs,
      intervalUs: added.intervalUs,
      noiseUs: noise.noiseUs,
      limitUs,
      pass: added.estimateUs <= limitUs,
    });
  }
}

const plainContradictions = findContradictions(plainSamples, pairs);
const streamContradictions = findContradictions(streamSamples, pairs);

const result = {
  settings,
  seed: args.seed,
  mode: args.guard ? 'guard' : args.quick ? 'quick' : 'full',
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  rungs: rungs.map((rung) => {
    const gapSummary = summarize((gaps.get(rung.id) ?? []).map((value) => value * 1000));
    const baseGaps = summarize((gaps.get('sdk') ?? []).map((value) => value * 1000));
    return {
      id: rung.id,
      label: rung.label,
      group: rung.group,
      plain: rungFigures(
        plainSamples.get(rung.id) as Samples,
        baselineOf(plainSamples, rung),
        random,
      ),
      stream: {
        ttft: rungFigures(
          streamSamples.get(rung.id) as Samples,
          baselineOf(streamSamples, rung),
          random,
        ),
        gaps: {
          n: gapSummary.n,
          p50Us: round(gapSummary.p50, 2),
          p99Us: round(gapSummary.p99, 2),
          ...(rung.id === 'sdk'
            ? {}
            : {
                addedP50Us: round(gapSummary.p50 - baseGaps.p50, 2),
                addedP99Us: round(gapSummary.p99 - baseGaps.p99, 2),
              }),
        },
        droppedChunks: dropped.get(rung.id) ?? 0,
      },
      garbage: garbageFigures(rung),
    };
  }),
  control: { plain: plainNoise, ttft: streamNoise },
  ...(inProcessSamples === undefined
    ? {}
    : {
        firstChunkInProcess: {
          clearBytes: settings.inProcess.clearBytes,
          warm: inProcessFigures(inProcessSamples.warm),
          cleared: inProcessFigures(inProcessSamples.cleared),
        },
      }),
  consistency: {
    plain: plainContradictions.checked,
    ttft: streamContradictions.checked,
    contradictions: [
      ...plainContradictions.contradictions.map((entry) => ({ kind: 'plain', ...entry })),
      ...streamContradictions.contradictions.map((entry) => ({ kind: 'ttft', ...entry })),
    ],
  },
  guard: {
    targetUs,
    rule: 'added p50 over the SDK ≤ target + the A/A control’s noise (larger end of its interval)',
    checks: guardChecks,
    pass: guardChecks.length > 0 && guardChecks.every((check) => check.pass === true),
  },
};
for (const rung of [...rungs, ...garbageRungs]) await rung.close?.();
writeResult(args.out, result);
