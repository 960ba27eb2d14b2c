/**
 * The page's core: what Switchyard adds over the `openai` SDK (the overhead suite), each figure
 * with its interval, the A/A control beside it, and rungs that contradict another flagged
 * instead of published. Also the target checks drawn from it and the guard's how-to.
 */
import { formatNumber } from './charts.ts';

/** An estimate in µs with its interval. */
export type EstimateUs = {
  estimateUs: number;
  intervalUs: [number, number];
  confidence: number;
  rounds: number;
};
/** A ratio or byte count with its interval. */
export type EstimatePlain = {
  estimate: number;
  interval: [number, number];
  confidence: number;
  rounds?: number;
};
export type RungFigures = {
  n: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  firstError?: string;
  addedP50?: EstimateUs;
  addedP99?: EstimateUs;
  ratioP50?: EstimatePlain;
};
export type StreamFigures = {
  ttft: RungFigures;
  gaps: { n: number; p50Us: number; p99Us: number; addedP50Us?: number; addedP99Us?: number };
  droppedChunks: number;
};
type Contradiction = { subset: string; superset: string; differenceUs: EstimateUs };
type InProcessFirstChunk = { sdkP50Us: number; added: Record<string, EstimateUs> };
export type OverheadResults = {
  settings: {
    plain: { rounds: number; sweepsPerRound: number; warmupSweeps: number };
    stream: { rounds: number; sweepsPerRound: number; warmupSweeps: number };
    garbage: { rounds: number; plainCalls: number; streamCalls: number };
  };
  seed: number;
  mode: string;
  durationS: number;
  problems: Record<string, string>;
  warnings: Record<string, number>;
  rungs: {
    id: string;
    label: string;
    group: string;
    plain: RungFigures;
    stream: StreamFigures;
    garbage?: {
      plainBytesPerCall: EstimatePlain;
      streamBytesPerCall: EstimatePlain;
      addedPlainBytesPerCall?: EstimatePlain;
      addedStreamBytesPerCall?: EstimatePlain;
    };
  }[];
  control: {
    plain?: { controlUs: EstimateUs; noiseUs: number };
    ttft?: { controlUs: EstimateUs; noiseUs: number };
  };
  /** The first chunk over an in-process fetch, with the CPU caches warm and cleared. */
  firstChunkInProcess?: {
    clearBytes: number;
    warm: InProcessFirstChunk;
    cleared: InProcessFirstChunk;
  };
  consistency: {
    plain: Contradiction[];
    ttft: Contradiction[];
    contradictions: (Contradiction & { kind: 'plain' | 'ttft' })[];
  };
  guard: {
    targetUs: number;
    rule: string;
    checks: {
      rung: string;
      kind: 'plain' | 'ttft';
      addedP50Us: number;
      intervalUs: [number, number];
      noiseUs: number;
      limitUs: number;
      pass: boolean;
    }[];
    pass: boolean;
  };
};

/** pass / miss / inconclusive (the interval straddles the target) / flagged (contradiction). */
export type Status = 'pass' | 'miss' | 'inconclusive' | 'flagged' | undefined;

const signed = (value: number) => `${value > 0 ? '+' : ''}${formatNumber(value)}`;

/** "+69.3 µs [+54.9, +89.3]": an estimate always with its interval. */
export function withInterval(value: EstimateUs | undefined, unit = 'µs'): string {
  if (value === undefined) return '—';
  return `${signed(value.estimateUs)} ${unit} [${signed(value.intervalUs[0])}, ${signed(value.intervalUs[1])}]`;
}

export function bytesWithInterval(value: EstimatePlain | undefined, signedValue = false): string {
  if (value === undefined) return '—';
  const show = (bytes: number) =>
    signedValue ? signed(Math.round(bytes)) : formatNumber(Math.round(bytes));
  return `${show(value.estimate)} B [${show(value.interval[0])}, ${show(value.interval[1])}]`;
}

export function percentWithInterval(value: EstimatePlain | undefined): string {
  if (value === undefined) return '—';
  const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
  return `${percent(value.estimate)} [${percent(value.interval[0])}, ${percent(value.interval[1])}]`;
}

/** Status of an "at most `limit`" target against an interval. */
export function atMost(interval: readonly [number, number], limit: number): Status {
  if (interval[1] <= limit) return 'pass';
  if (interval[0] > limit) return 'miss';
  return 'inconclusive';
}

/** Status of an "at least `limit`" target against an interval. */
export function atLeast(interval: readonly [number, number], limit: number): Status {
  if (interval[0] >= limit) return 'pass';
  if (interval[1] < limit) return 'miss';
  return 'inconclusive';
}

/** The contradiction that makes a rung's figure of a kind unpublishable, if any. */
export function flagOf(
  overhead: {
    consistency?: { contradictions: (Contradiction & { kind: 'plain' | 'ttft' })[] };
    rungs: readonly { id: string; label: string }[];
  },
  id: string,
  kind: 'plain' | 'ttft',
): string | undefined {
  const found = overhead.consistency?.contradictions.find(
    (entry) => entry.kind === kind && entry.superset === id,
  );
  if (found === undefined) return undefined;
  const label = overhead.rungs.find((rung) => rung.id === found.subset)?.label ?? found.subset;
  return `flagged: reads ${withInterval(found.differenceUs)} against ${label}, which it contains; not published`;
}

/** The core tables: plain calls, first chunk, garbage, consistency; the guard's how-to. */
export function overheadSection(overhead: OverheadResults, chartLine: string): string[] {
  const { settings } = overhead;
  const control = overhead.rungs.find((rung) => rung.id === 'sdk-control');
  const cell = (id: string, kind: 'plain' | 'ttft', value: EstimateUs | undefined) =>
    flagOf(overhead, id, kind) ?? withInterval(value);
  const labelOf = (id: string) => overhead.rungs.find((rung) => rung.id === id)?.label ?? id;
  const lines: string[] = [
    '## Added cost over the SDK',
    '',
    `The headline figures. Concurrency 1, interleaved: in each sweep every rung below makes one call, in a fresh random order; ${settings.plain.sweepsPerRound} sweeps make a round; ${settings.plain.rounds} rounds of plain calls (${settings.plain.rounds * settings.plain.sweepsPerRound} calls per rung) and ${settings.stream.rounds} rounds of ${settings.stream.sweepsPerRound} streams (${settings.stream.rounds * settings.stream.sweepsPerRound} per rung), after ${settings.plain.warmupSweeps} and ${settings.stream.warmupSweeps} discarded warm-up sweeps (so many that V8 has optimized every function on each rung's call path, as in a server that has been running for a while: a function is taken by the optimizing compiler after a few thousand calls, and the SDK's own code, shared by every rung, warms sooner than the router's). **Added p50** is the median over rounds of (rung's round median − SDK's round median), with its ${Math.round((overhead.rungs[1]?.plain.addedP50?.confidence ?? 0.95) * 100)}% sign-test interval in brackets; **added p99** is the pooled p99 difference with a 95% bootstrap interval over rounds. The **A/A control** is a second SDK client, identical to the first: what it reads is what the method cannot tell from zero on this machine at this time.`,
    '',
    '### Plain calls',
    '',
    '| Client | calls | p50 | p99 | added p50 vs SDK [interval] | added p99 vs SDK [interval] | p50 ratio to SDK [interval] | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...overhead.rungs.map((rung) => {
      const plain = rung.plain;
      const flagged = flagOf(overhead, rung.id, 'plain');
      return `| ${rung.label} | ${plain.n} | ${formatNumber(plain.p50Us)} µs | ${formatNumber(plain.p99Us)} µs | ${cell(rung.id, 'plain', plain.addedP50)} | ${flagged === undefined ? withInterval(plain.addedP99) : '—'} | ${flagged === undefined ? ratioText(plain.ratioP50) : '—'} | ${plain.errors} |`;
    }),
    '',
    chartLine,
    '',
    '### Streaming: time to the first content chunk',
    '',
    '| Client | streams | TTFT p50 | TTFT p99 | added TTFT p50 vs SDK [interval] | added TTFT p99 [interval] | gap p50 / p99 | added gap p50 / p99 | dropped chunks | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...overhead.rungs.map((rung) => {
      const { ttft, gaps } = rung.stream;
      const flagged = flagOf(overhead, rung.id, 'ttft');
      return `| ${rung.label} | ${ttft.n} | ${formatNumber(ttft.p50Us)} µs | ${formatNumber(ttft.p99Us)} µs | ${cell(rung.id, 'ttft', ttft.addedP50)} | ${flagged === undefined ? withInterval(ttft.addedP99) : '—'} | ${formatNumber(gaps.p50Us)} / ${formatNumber(gaps.p99Us)} µs | ${gaps.addedP50Us === undefined ? '—' : `${signed(gaps.addedP50Us)} / ${signed(gaps.addedP99Us ?? 0)} µs`} | ${rung.stream.droppedChunks} | ${ttft.errors} |`;
    }),
    '',
    'Gaps between content chunks are pooled over every stream (no interval: the mock writes the chunks back to back, so a gap is the client parsing one chunk).',
    '',
    ...slowFirstChunkNote(overhead),
    ...inProcessFirstChunkSection(overhead, labelOf),
  ];
  const withGarbage = overhead.rungs.filter((rung) => rung.garbage !== undefined);
  if (withGarbage.length > 0) {
    lines.push(
      '### Garbage per call',
      '',
      `JavaScript heap allocated per call, everything in the process counted (the SDK's, undici's, the router's): V8's GC profiler reports the used heap before and after each collection, so allocated = growth + what the collections reclaimed. ${settings.garbage.rounds} rounds; in each, every rung makes ${settings.garbage.plainCalls} plain calls and then ${settings.garbage.streamCalls} streams in its own block (after a full GC), rungs in a random order. Medians over rounds with sign-test intervals; "added" pairs each block with the SDK's block of the same round.`,
      '',
      '| Client | plain: bytes per call | plain: added vs SDK | stream: bytes per call | stream: added vs SDK |',
      '| --- | --- | --- | --- | --- |',
      ...withGarbage.map((rung) => {
        const garbage = rung.garbage as NonNullable<typeof rung.garbage>;
        return `| ${rung.label} | ${bytesWithInterval(garbage.plainBytesPerCall)} | ${bytesWithInterval(garbage.addedPlainBytesPerCall, true)} | ${bytesWithInterval(garbage.streamBytesPerCall)} | ${bytesWithInterval(garbage.addedStreamBytesPerCall, true)} |`;
      }),
      '',
    );
  }
  const consistencyRow = (kind: 'plain' | 'ttft', entry: Contradiction) => {
    const contradicts = entry.differenceUs.intervalUs[1] < 0;
    return `| ${kind === 'plain' ? 'plain' : 'first chunk'} | ${labelOf(entry.superset)} − ${labelOf(entry.subset)} | ${withInterval(entry.differenceUs)} | ${contradicts ? '**contradiction: flagged, not published**' : 'consistent'} |`;
  };
  lines.push(
    '### Consistency between rungs',
    '',
    'Each rung on the left does at least the work of the one on the right, so it cannot be cheaper. When the whole interval of the paired difference is below zero, the method failed on that pair in this run, and the larger rung’s figure is flagged above instead of published. Switchyard is not paired with the SDK or the minimal wrapper: it reads a stream’s events and a chat completion’s body itself rather than through the SDK’s parse, so it does not contain the SDK’s whole work, and reading cheaper than the SDK is no contradiction.',
    '',
    '| Kind | Difference | paired p50 [interval] | Reading |',
    '| --- | --- | --- | --- |',
    ...overhead.consistency.plain.map((entry) => consistencyRow('plain', entry)),
    ...overhead.consistency.ttft.map((entry) => consistencyRow('ttft', entry)),
    '',
  );
  if (control !== undefined) {
    lines.push(
      `**The A/A control** read ${withInterval(control.plain.addedP50)} on plain calls and ${withInterval(control.stream.ttft.addedP50)} on the first chunk. Its true value is zero; the width of its interval is the resolution of this run. Two processes share this machine's two cores with the mock, and other work ran on it during this run, so a figure closer to the SDK than the control's interval cannot be told from zero here. Rerun on a quiet machine for a finer reading: the method is the same.`,
      '',
    );
  }
  const guard = overhead.guard;
  lines.push(
    '### The guard',
    '',
    '```sh',
    'npm run bench:guard        # or: npm run bench -- --guard',
    '```',
    '',
    `A short run of this same method (the SDK, the A/A control, Switchyard with 1 target and with a 3-deep chain; plain calls and first chunk; about half a minute). It fails (exit 1) when a Switchyard rung's added p50 over the SDK exceeds the target (${guard.targetUs} µs) by more than the control's noise, the larger end of the control's interval in absolute value: on a noisy machine the guard is lenient by exactly the noise it measured, and on a quiet one it is strict. It writes nothing under docs/ and is not part of \`npm test\` (a timing check does not belong in a unit-test suite shared by loaded machines). \`--seed <n>\` repeats a run's call order. Exit 2 means the measurement itself failed. The same check on this run:`,
    '',
    '| Rung | Kind | added p50 [interval] | control noise | limit | Guard |',
    '| --- | --- | --- | --- | --- | --- |',
    ...guard.checks.map(
      (check) =>
        `| ${labelOf(check.rung)} | ${check.kind === 'plain' ? 'plain' : 'first chunk'} | ${signed(check.addedP50Us)} µs [${signed(check.intervalUs[0])}, ${signed(check.intervalUs[1])}] | ${formatNumber(check.noiseUs)} µs | ${formatNumber(check.limitUs)} µs | ${check.pass ? 'pass' : '**fail**'} |`,
    ),
    '',
  );
  return lines;
}

/**
 * When the SDK alone takes many times a plain call to its first streamed chunk, something on the
 * machine (not the code under test: the SDK shows it too) delayed first chunks in this run; say
 * so next to the figures, whose control interval shows the resolution lost.
 */
function slowFirstChunkNote(overhead: OverheadResults): string[] {
  const sdk = overhead.rungs.find((rung) => rung.id === 'sdk');
  if (sdk === undefined || sdk.stream.ttft.p50Us < 4 * sdk.plain.p50Us) return [];
  return [
    `In this run the SDK alone took ${formatNumber(sdk.stream.ttft.p50Us / 1000)} ms (p50) to its first streamed chunk, ${formatNumber(sdk.stream.ttft.p50Us / sdk.plain.p50Us)}× its whole plain call, and so did every other client: the delay came from the machine during this run (the mock writes every chunk at once, with no delay), not from any client, and the A/A control's interval on the first chunk shows how much resolution it cost. Differences in time to first chunk smaller than that interval are not resolved by this run.`,
    '',
  ];
}

function ratioText(value: EstimatePlain | undefined): string {
  if (value === undefined) return '—';
  return `${value.estimate.toFixed(3)} [${value.interval[0].toFixed(3)}, ${value.interval[1].toFixed(3)}]`;
}

/**
 * The first chunk without the network: the same streams over the in-process fetch, with the CPU
 * caches warm and with them cleared before each call, beside the figure over real HTTP.
 */
function inProcessFirstChunkSection(
  overhead: OverheadResults,
  labelOf: (id: string) => string,
): string[] {
  const figures = overhead.firstChunkInProcess;
  if (figures === undefined) return [];
  const ids = Object.keys(figures.warm.added);
  const mib = figures.clearBytes / (1 << 20);
  return [
    '### The first chunk without the network',
    '',
    `The same streams over the in-process \`fetch\` used for garbage (no network, no mock process: what is timed is the clients' own work), interleaved as above, twice: with the CPU caches warm from the call before, and with them cleared before each call, as they can be after a wait for the network (a ${mib} MiB buffer written, one byte per 64-byte line, outside the timing). Beside them, the figure over real HTTP from the table above. The SDK alone took ${formatNumber(figures.warm.sdkP50Us)} µs (p50) to its first chunk warm and ${formatNumber(figures.cleared.sdkP50Us)} µs cleared.`,
    '',
    '| Client | added first chunk, in process, caches warm [interval] | in process, caches cleared [interval] | over real HTTP [interval] |',
    '| --- | --- | --- | --- |',
    ...ids.map((id) => {
      const http = overhead.rungs.find((rung) => rung.id === id)?.stream.ttft.addedP50;
      return `| ${labelOf(id)} | ${withInterval(figures.warm.added[id])} | ${withInterval(figures.cleared.added[id])} | ${withInterval(http)} |`;
    }),
    '',
  ];
}
