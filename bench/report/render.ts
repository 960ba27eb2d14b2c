/**
 * Turns results.json into docs/benchmarks.md and the charts beside it (docs/benchmarks/*.png).
 * A quick run renders into bench/results/tmp/ instead, leaving the committed page alone.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../lib/modules.ts';
import { barChart, formatNumber, lineChart, writePng } from './charts.ts';
import {
  atLeast,
  atMost,
  bytesWithInterval,
  type EstimatePlain,
  type EstimateUs,
  flagOf,
  type OverheadResults,
  overheadSection,
  percentWithInterval,
  type RungFigures,
  type Status,
  type StreamFigures,
  withInterval,
} from './overhead-section.ts';
import { summarySection } from './summary-section.ts';
import { type ThroughputSettings, throughputIntro, throughputMethod } from './throughput-text.ts';

type LatencyRung = {
  id: string;
  label: string;
  group: string;
  baseline: string;
  plain: RungFigures;
  stream: StreamFigures;
};
type ThroughputCell = {
  rps: number;
  rpsPerRound: number[];
  p50Ms: number;
  p99Ms: number;
  errors: number;
  firstError?: string;
  ratioToSdk?: EstimatePlain;
  callsPerCpuSecond?: number;
  cpuRatioToSdk?: EstimatePlain;
};
type ThroughputRung = {
  id: string;
  label: string;
  group: string;
  byConcurrency: Record<string, ThroughputCell>;
};
type FailoverFigures = {
  n: number;
  viaFallbackP50Ms: number | null;
  viaFallbackP99Ms: number | null;
  directP50Ms: number;
  addedP50Ms: number | null;
  errors: number;
  firstError?: string;
};
type FailoverCase = {
  id: string;
  label: string;
  failure: '503' | 'refused';
  plain: FailoverFigures;
  stream: FailoverFigures;
};
type ConfigSize = {
  aliases: number;
  bytes: number;
  yamlParseMs: number;
  loadMs: number;
  parseConfigMs: number;
  loadOverYamlParse: number;
  validatePlusCompileMs: number;
  stages: {
    yamlSourceMs: number;
    interpolateEnvMs: number;
    toJsMs: number;
    validateMs: number;
    compileMs: number;
  };
  unstagedMs: number;
};
type LongRun = {
  durationS: number;
  concurrency: number;
  calls: number;
  errors: number;
  netChangeMiB: number;
  growthMiBPerMin: number;
  firstHeapMiB: number;
  lastHeapMiB: number;
  afterCloseHeapMiB?: number;
  samples: { atS: number; heapMiB: number; rssMiB: number; calls: number }[];
};
type ProfileRun = {
  calls: number;
  wallUsPerCall: number;
  cpuUsPerCall: number;
  byAreaUsPerCall: Record<string, number>;
  top: { function: string; location: string; area: string; usPerCall: number }[];
};
type Results = {
  machine: Record<string, string | number | number[]>;
  versions: Record<string, string>;
  run: {
    mode: string;
    date: string;
    command: string;
    durationS?: number;
    loadAverageAtEnd?: number[];
    additions?: { suites: string; date: string; commit: string }[];
  };
  problems: Record<string, string>;
  'mock-ceiling'?: {
    client: string;
    concurrency: number;
    lean: { rps: number; p50Ms: number; p99Ms: number; errors: number };
    emulator: { rps: number; p50Ms: number; p99Ms: number; errors: number };
  };
  resolve?: {
    aliases: number;
    hotPath: { p50Ns: number; p99Ns: number; batches: number; batchSize: number };
    firstResolution: { p50Ns: number; p99Ns: number };
    publicResolve: { p50Ns: number; p99Ns: number };
  };
  'config-load'?: {
    runs: Record<string, number>;
    cold: { aliases: number; loadMs: number; yamlParseMs: number };
    sizes: ConfigSize[];
  };
  size?: {
    bundler: string;
    core: { minifiedBytes: number; minifiedGzipBytes: number };
    coreWithoutGeneratedValidator: { minifiedBytes: number; minifiedGzipBytes: number };
    generatedValidator: { minifiedBytes: number; minifiedGzipBytes: number };
    emulatorSubpath: { minifiedBytes: number; minifiedGzipBytes: number };
    runtimeCodegen: { newFunction: boolean; eval: boolean };
    importMs: { median: number };
  };
  overhead?: OverheadResults;
  latency?: {
    settings: {
      plain: { rounds: number; sweepsPerRound: number; warmupSweeps: number };
      stream: { rounds: number; sweepsPerRound: number; warmupSweeps: number };
    };
    durationS: number;
    problems: Record<string, string>;
    warnings: Record<string, number>;
    rungs: LatencyRung[];
    consistency?: OverheadResults['consistency'];
  };
  throughput?: {
    settings: ThroughputSettings;
    seed: number;
    problems: Record<string, string>;
    warnings: Record<string, number>;
    rungs: ThroughputRung[];
  };
  failover?: {
    settings: Record<string, number>;
    problems: Record<string, string>;
    cases: FailoverCase[];
  };
  memory?: {
    idle: {
      aliases: number;
      tableMiB: number;
      routerMiB: number;
      idleTotalMiB: number;
      afterResolvingEveryAliasMiB: number;
    };
    longRun: LongRun & { hookCalls: number };
    control: LongRun;
    warnings: Record<string, number>;
  };
  tracing?: {
    rounds: number;
    sweepsPerRound: number;
    variants: {
      name: string;
      p50Us: number;
      addedP50?: EstimateUs;
    }[];
  };
  'sdk-options'?: {
    rounds: number;
    sweepsPerRound: number;
    variants: {
      name: string;
      p50Us: number;
      addedP50?: EstimateUs;
    }[];
  };
  profile?: {
    samplingIntervalUs: number;
    perCall: {
      sdk: ProfileRun;
      routerOne: ProfileRun;
      routerFull: ProfileRun;
      routerOneAddedByAreaUsPerCall: Record<string, number>;
      routerOneAddedFunctionsUsPerCall: {
        function: string;
        location: string;
        area: string;
        addedUsPerCall: number;
      }[];
      routerFullAddedByAreaUsPerCall: Record<string, number>;
    };
    compile: ProfileRun;
  };
};

type Check = { figure: string; target: string; measured: string; status: Status };
const passed = (pass: boolean): Status => (pass ? 'pass' : 'miss');

const colors = {
  baseline: '#95a5a6',
  switchyard: '#2e86de',
  peer: '#e67e22',
  second: '#16a085',
  third: '#8e44ad',
};

const us = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${formatNumber(value)} µs`;
const ms = (value: number | null | undefined) =>
  value === undefined || value === null ? 'n/a' : `${formatNumber(value)} ms`;
const verdictMark = (status: Status) =>
  status === undefined
    ? '— (not measured)'
    : status === 'inconclusive'
      ? 'inconclusive (the interval straddles the target)'
      : status === 'flagged'
        ? 'flagged (contradicts a smaller rung; not published)'
        : `**${status}**`;
/** Marked sections of the existing page (`<!-- name:start … -->` to `<!-- name:end -->`). */
function keptSections(pagePath: string): string {
  if (!existsSync(pagePath)) return '';
  const page = readFileSync(pagePath, 'utf8');
  const sections: string[] = [];
  for (const match of page.matchAll(/<!-- ([\w-]+):start[\s\S]*?<!-- \1:end -->/g)) {
    sections.push(match[0]);
  }
  return sections.join('\n\n');
}

/** The SDK's req/s at c=64 in this run, when measured. */
function sdkRps(results: Results): number | undefined {
  return results.throughput?.rungs.find((entry) => entry.id === 'sdk')?.byConcurrency['64']?.rps;
}

/** The machine's load average (1, 5, 15 min) at the start and end of the run, when recorded. */
function loadText(machine: Results['machine'], end: number[] | undefined): string {
  const start = machine['loadAverageAtStart'];
  if (!Array.isArray(start)) return '';
  const cores = Number(machine['cores']);
  const show = (values: number[]) => values.map((value) => value.toFixed(1)).join(' / ');
  const busy = Math.max(start[0] ?? 0, end?.[0] ?? 0) > cores / 2;
  return ` Load average (1 / 5 / 15 min) at the start of the run: ${show(start)}${end === undefined ? '' : `; at the end: ${show(end)}`}, on ${cores} cores${busy ? ': other work shared the machine during the run, and the A/A control rows show what that did to the figures' : ''}.`;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Renders the page (and charts) for the results file. */
export async function renderReport(options: {
  resultsPath: string;
  quick: boolean;
  /** Draw the charts (needs the bench's own packages). @default true */
  charts?: boolean;
}) {
  const results = JSON.parse(readFileSync(options.resultsPath, 'utf8')) as Results;
  const docsDirectory = options.quick
    ? join(paths.benchDirectory, 'results', 'tmp')
    : join(paths.rootDirectory, 'docs');
  const chartDirectory = options.quick ? docsDirectory : join(docsDirectory, 'benchmarks');
  mkdirSync(chartDirectory, { recursive: true });
  const pagePath = join(docsDirectory, options.quick ? 'benchmarks-quick.md' : 'benchmarks.md');
  const charts: string[] = [];
  // The page does not embed the charts: the published package ships docs/*.md without them.
  const chart = async (name: string, svg: string) => {
    if (options.charts === false) return '';
    await writePng(svg, join(chartDirectory, name));
    charts.push(name);
    return '';
  };

  const checks: Check[] = [];
  const lines: string[] = [];
  const push = (...text: string[]) => lines.push(...text);
  /** The Methodology section, written at the end of the page. */
  const methodology: string[] = [];
  const pushMethod = (...text: string[]) => methodology.push(...text);

  const latency = results.latency;
  const rung = (id: string) => latency?.rungs.find((entry) => entry.id === id);
  /** The rungs the latency, garbage and throughput targets are set for. */
  const targetRungs = ['router-one', 'router-chain'];

  // Targets.
  if (results.resolve !== undefined) {
    checks.push({
      figure: 'Alias resolution (call path), p50',
      target: '≤ 2 µs',
      measured: `${formatNumber(results.resolve.hotPath.p50Ns)} ns`,
      status: passed(results.resolve.hotPath.p50Ns <= 2000),
    });
  }
  const overhead = results.overhead;
  const coreRung = (id: string) => overhead?.rungs.find((entry) => entry.id === id);
  const controlRung = coreRung('sdk-control');
  const worst = (...statuses: Status[]): Status =>
    statuses.includes('flagged')
      ? 'flagged'
      : statuses.includes('miss')
        ? 'miss'
        : statuses.includes('inconclusive') || statuses.includes(undefined)
          ? 'inconclusive'
          : 'pass';
  for (const id of targetRungs) {
    const entry = coreRung(id);
    if (overhead === undefined || entry === undefined) continue;
    const { addedP50, addedP99 } = entry.plain;
    const plainFlag = flagOf(overhead, id, 'plain');
    checks.push({
      figure: `Added p50 over the SDK, plain call, c=1 — ${entry.label}`,
      target: '≤ 15 µs (stretch: ≤ 10 µs)',
      measured: `${plainFlag ?? withInterval(addedP50)} (A/A control: ${withInterval(controlRung?.plain.addedP50)})`,
      status: plainFlag !== undefined ? 'flagged' : addedP50 && atMost(addedP50.intervalUs, 15),
    });
    checks.push({
      figure: `Added p99 over the SDK, plain call, c=1 — ${entry.label}`,
      target: '≤ 60 µs',
      measured: `${plainFlag === undefined ? withInterval(addedP99) : plainFlag} (A/A control: ${withInterval(controlRung?.plain.addedP99)})`,
      status: plainFlag !== undefined ? 'flagged' : addedP99 && atMost(addedP99.intervalUs, 60),
    });
    const ttft = entry.stream.ttft;
    const ttftFlag = flagOf(overhead, id, 'ttft');
    checks.push({
      figure: `Added time to the first streamed chunk over the SDK, p50, c=1 — ${entry.label}`,
      target: '≤ 15 µs',
      measured: `${ttftFlag ?? withInterval(ttft.addedP50)} (A/A control: ${withInterval(controlRung?.stream.ttft.addedP50)})`,
      status:
        ttftFlag !== undefined ? 'flagged' : ttft.addedP50 && atMost(ttft.addedP50.intervalUs, 15),
    });
    checks.push({
      figure: `Streams: content chunks dropped — ${entry.label}`,
      target: '0',
      measured: `${entry.stream.droppedChunks} of ${formatNumber(entry.stream.ttft.n * 32)}`,
      status: passed(entry.stream.droppedChunks === 0),
    });
    const garbage = entry.garbage;
    if (garbage?.addedPlainBytesPerCall !== undefined) {
      checks.push({
        figure: `Extra garbage per call over the SDK (JS heap allocated) — ${entry.label}`,
        target: '≤ 2 KB (2,048 B)',
        measured: `plain ${bytesWithInterval(garbage.addedPlainBytesPerCall, true)}, stream ${bytesWithInterval(garbage.addedStreamBytesPerCall, true)} (A/A control: plain ${bytesWithInterval(controlRung?.garbage?.addedPlainBytesPerCall, true)})`,
        status: worst(
          atMost(garbage.addedPlainBytesPerCall.interval, 2048),
          garbage.addedStreamBytesPerCall === undefined
            ? undefined
            : atMost(garbage.addedStreamBytesPerCall.interval, 2048),
        ),
      });
    }
  }
  const throughput = results.throughput;
  if (throughput !== undefined) {
    const controlCell = (concurrency: number) =>
      throughput.rungs.find((candidate) => candidate.id === 'sdk-control')?.byConcurrency[
        String(concurrency)
      ];
    for (const id of targetRungs) {
      const entry = throughput.rungs.find((candidate) => candidate.id === id);
      if (entry === undefined) continue;
      for (const concurrency of throughput.settings.concurrencies) {
        const cell = entry.byConcurrency[String(concurrency)];
        if (cell === undefined) continue;
        checks.push({
          figure: `Throughput at c=${concurrency} vs the SDK — ${entry.label}`,
          target: '≥ 97%, 0 errors',
          measured: `${percentWithInterval(cell.ratioToSdk)}, ${cell.errors} errors (A/A control: ${percentWithInterval(controlCell(concurrency)?.ratioToSdk)})${cell.cpuRatioToSdk === undefined ? '' : `; per CPU-second of the client: ${percentWithInterval(cell.cpuRatioToSdk)} (A/A control: ${percentWithInterval(controlCell(concurrency)?.cpuRatioToSdk)})`}`,
          status:
            cell.errors > 0
              ? 'miss'
              : cell.ratioToSdk === undefined
                ? undefined
                : atLeast(cell.ratioToSdk.interval, 0.97),
        });
      }
    }
  }
  const configLoad = results['config-load'];
  const config1000 = configLoad?.sizes.find((size) => size.aliases === 1000);
  if (config1000 !== undefined) {
    checks.push({
      figure: 'Config, 1,000 aliases: validate + compile',
      target: '≤ 20 ms',
      measured: `${ms(config1000.validatePlusCompileMs)} (validate ${ms(config1000.stages.validateMs)}, compile ${ms(config1000.stages.compileMs)})`,
      status: passed(config1000.validatePlusCompileMs <= 20),
    });
    checks.push({
      figure: 'Config, 1,000 aliases: whole `loadConfig` vs bare `yaml.parse`',
      target: '≤ 1.5×',
      measured: `${config1000.loadOverYamlParse.toFixed(2)}× (${ms(config1000.loadMs)} vs ${ms(config1000.yamlParseMs)})`,
      status: passed(config1000.loadOverYamlParse <= 1.5),
    });
  }
  const failover = results.failover;
  for (const failure of ['503', 'refused'] as const) {
    const entry = failover?.cases.find((candidate) => candidate.id === `switchyard-${failure}`);
    if (entry === undefined) continue;
    checks.push({
      figure: `Failover on a fast failure (${failure === '503' ? '503' : 'connection refused'}): answer via the fallback vs direct`,
      target: '≤ +5 ms',
      measured: `+${ms(entry.plain.addedP50Ms)} plain, +${ms(entry.stream.addedP50Ms)} first chunk (p50)`,
      status: passed(
        (entry.plain.addedP50Ms ?? Infinity) <= 5 && (entry.stream.addedP50Ms ?? Infinity) <= 5,
      ),
    });
  }
  const memory = results.memory;
  if (memory !== undefined) {
    checks.push({
      figure: 'Memory: idle router with 1,000 aliases (heap)',
      target: '≤ 5 MB',
      measured: `${memory.idle.idleTotalMiB.toFixed(2)} MiB idle; ${memory.idle.afterResolvingEveryAliasMiB.toFixed(2)} MiB with every alias resolved`,
      status: passed(memory.idle.afterResolvingEveryAliasMiB * 1.048576 <= 5),
    });
    const tolerance = Math.max(1, memory.control.netChangeMiB + 1);
    checks.push({
      figure:
        'Memory: no growth over a long run (quiesced heap after its plateau: last third vs middle third)',
      target: `≤ ${tolerance.toFixed(1)} MiB (1 MiB, or the SDK alone's change + 1 MiB)`,
      measured: `${memory.longRun.netChangeMiB.toFixed(2)} MiB over ${memory.longRun.durationS} s, ${formatNumber(memory.longRun.calls)} calls (SDK alone: ${memory.control.netChangeMiB.toFixed(2)} MiB)`,
      status: passed(memory.longRun.netChangeMiB <= tolerance),
    });
  }
  const size = results.size;
  if (size !== undefined) {
    checks.push({
      figure: "Size: the library's own code, minified + gzipped",
      target: '≤ 50 KB',
      measured: `${(size.core.minifiedGzipBytes / 1000).toFixed(1)} KB (${size.generatedValidator.minifiedGzipBytes / 1000} KB of it the generated validator)`,
      status: passed(size.core.minifiedGzipBytes <= 50_000),
    });
  }

  // Page.
  const machine = results.machine;
  push(
    '# Benchmarks',
    '',
    `How much time, memory and throughput Switchyard costs a call, beside the \`openai\` SDK alone and the alternatives (Portkey's gateway, the Vercel AI SDK, LangChain.js). Measured by \`${results.run.command}\` on ${results.run.date.slice(0, 10)}; every figure on this page comes from that one run.`,
    '',
    ...summarySection(results),
  );
  pushMethod(
    '## Methodology',
    '',
    `The run: \`${results.run.command}\`, ${results.run.mode} run, ${results.run.durationS ?? '?'} s; its raw figures are \`docs/benchmarks/results.json\` in the repository, where \`npm run bench -- --report\` also draws charts of these tables (docs/benchmarks/*.png). Commands:`,
    '',
    '```sh',
    'npm run bench            # full run (15–40 min on 2 cores); rewrites this page, the charts and results.json',
    'npm run bench -- --quick # short run into bench/results/tmp/ (does not touch docs/)',
    'npm run bench -- --report # re-render this page and the charts from results.json',
    'npm run bench:guard       # the fast guard: fails when the added p50 exceeds the target (see below)',
    '```',
    '',
    ...(results.run.additions ?? []).map(
      (addition) =>
        `Suites \`${addition.suites}\` were added later with \`npm run bench -- --only ${addition.suites}\` (${addition.date.slice(0, 16).replace('T', ' ')} UTC, commit ${addition.commit}); the rest is the run above.\n`,
    ),
    `Machine: ${machine['cpu']}, ${machine['cores']} cores, ${machine['memoryGiB']} GiB, ${machine['os']}, Node ${machine['node']}. Processes are not pinned to cores (see [Method](#method)).${loadText(machine, results.run.loadAverageAtEnd)}`,
    '',
    'Versions: ' +
      Object.entries(results.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ') +
      '.',
    '',
    '### Targets',
    '',
    'Latency, garbage and throughput targets are set for Switchyard with one target and with a 3-deep chain (healthy primary), against the `openai` SDK alone. Every latency, garbage and throughput figure is shown with its interval (see [Method](#method)); a target is met when the whole interval is on the right side of it, missed when the whole interval is on the wrong side, and inconclusive when the interval straddles it.',
    '',
    '| Figure | Target | Measured | Result |',
    '| --- | --- | --- | --- |',
    ...checks.map(
      (check) =>
        `| ${check.figure} | ${check.target} | ${check.measured} | ${verdictMark(check.status)} |`,
    ),
    '',
  );
  const missed = checks.filter((check) => check.status === 'miss');
  const unsure = checks.filter(
    (check) => check.status === 'inconclusive' || check.status === 'flagged',
  );
  pushMethod(
    missed.length === 0 && unsure.length === 0
      ? 'Every target is met.'
      : `${missed.length} of ${checks.length} checks miss${unsure.length === 0 ? '' : `, ${unsure.length} ${unsure.length === 1 ? 'is' : 'are'} inconclusive or flagged`}. The profiles in [Where the time goes](#where-the-time-goes) say what the time goes to.`,
    '',
  );

  // Method.
  const ceiling = results['mock-ceiling'];
  pushMethod(
    '### Method',
    '',
    '- **Mock upstream.** A zero-delay OpenAI-shaped server in its own process on 127.0.0.1 (`bench/lib/mock-server.ts`, `node:http`): pre-serialised ~1 KB completions; streams of a role chunk, 32 content deltas (one write each), a finish chunk, a usage chunk and `[DONE]`; `/fail503/…` answers 503 at once. It is a dedicated lean mock rather than the project emulator (`startEmulator`), because the emulator admits, authenticates and logs every request, and its request log grows for the whole run (it would show up in the memory figures).' +
      (ceiling === undefined
        ? ''
        : ` Measured with ${ceiling.client} at c=${ceiling.concurrency}: lean mock ${formatNumber(ceiling.lean.rps)} req/s, emulator ${formatNumber(ceiling.emulator.rps)} req/s.${(sdkRps(results) ?? Number.POSITIVE_INFINITY) * 2 <= ceiling.lean.rps ? " Every client below stays well under the lean mock's ceiling." : ' On this run that ceiling is not far above (or is below) what the clients reach at c=64: the machine, not the mock or the code, bounds the throughput figures, which is why they are read as ratios to the SDK in the same round.'}`),
    "- **Client ladder** (`bench/lib/ladder.ts`), all against the same mock, same request: `undici.request` (floor), global `fetch`, the `openai` SDK (`maxRetries: 0`, the copy the router itself uses), Switchyard with one target, with a 3-deep chain (healthy primary), and the chain with every feature on (all five hooks, health memory, the attempt log read through `withRoute()`); the first two Switchyard rungs run with `health: false` so that each added feature is visible on its own. Every client uses its library defaults for HTTP (Node's global dispatcher, keep-alive).",
    "- **Peers**, same mock, same load, same process layout: Portkey's gateway (`@portkey-ai/gateway`, its published Node build, started on 127.0.0.1 with `--headless`, its server's keep-alive timeout raised from Node's 5 s to 65 s (`bench/peers/keep-alive.ts`: the gateway passes the mock's `Keep-Alive: timeout=60` on to its client, which then reuses connections the server has already closed after a few seconds idle and fails with “other side closed”); called through the `openai` SDK with an `x-portkey-config` of one target, or a 3-deep `fallback` strategy, all targets `custom_host` = the mock), the Vercel AI SDK (`@ai-sdk/openai` `.chat()` model; with `ai-fallback` `createFallback` over 3 models), LangChain.js (`ChatOpenAI`, `maxRetries: 0`; `withFallbacks` with 2 fallbacks). Peers' added latency is measured against the same `openai` SDK baseline as ours.",
    "- **Interleaved, paired, many short rounds** (`bench/lib/interleave.ts`). Concurrency-1 figures come from sweeps: in each sweep every rung makes one call, in a fresh random order (a seeded generator; the seed is in results.json), so no rung always follows another and every rung sees the same machine state. A few sweeps make a round, and each rung's round median is paired with the SDK's round median of the same round. Drift on the machine (other processes, CPU frequency, heap state) moves every rung alike within a round and cancels in the difference. **Added p50** = the median over rounds of those paired differences, with a distribution-free 95%+ interval from the sign test (the k-th smallest and k-th largest round differences, k from the binomial distribution; it assumes only that rounds are independent). **Added p99** = pooled p99 minus the SDK's pooled p99, with a 95% percentile-bootstrap interval that resamples whole rounds (both rungs with the same rounds, so the pairing holds). An earlier version of this bench ran each rung in blocks of hundreds of calls minutes apart and took the median of 7 paired block differences; drift between blocks was larger than the effect, which is what this method removes.",
    '- **The A/A control**: a second `openai` SDK client, built exactly like the first, is a rung of its own everywhere. Its true difference from the SDK is zero, so what it reads (and the width of its interval) is the noise of the method on this machine during this run. It is shown beside every headline figure.',
    "- **Contradictions are flagged, not published.** A rung that contains another (the wrapper contains the SDK; the chain contains one target; all features contain the chain) cannot be cheaper. Switchyard with one target is not paired with the SDK: it reads a stream's events and a chat completion's body itself rather than through the SDK's parse, so it may read cheaper. Each such pair is checked with its own paired difference; if the whole interval is below zero, the larger rung's figure is flagged in the tables and targets instead of shown.",
    "- **Garbage per call** (`bench/lib/garbage.ts`): V8's GC profiler (`v8.GCProfiler`) reports the used heap before and after each collection; over a block of calls, allocated bytes = heap growth + the sum reclaimed by the collections. The rungs here are built over an in-process `fetch` that answers every request with the mock's own bytes (`bench/lib/stub-fetch.ts`, the same function for every rung): what the SDK and the router allocate is then the same from block to block, where the network stack's own allocations over real HTTP vary with timing by more than the effect. Many short blocks per rung (rungs in a random order per round), after a warm-up (as for latency) and a full GC: now and then a block allocates far more than the others, and the median over many blocks is not moved by such a burst, where an average over a few long blocks is. The added figure pairs each block with the SDK's block of the same round.",
    throughputMethod(throughput?.settings),
    `- **Streams**: time to the first content chunk (TTFT), gaps between consecutive content chunks, and content chunks missing out of 32 (dropped); every stream is read to its end before the next call.`,
    "- **Processes**: mock, Portkey and each suite run in their own processes; the orchestrator is idle while a suite runs. Pinning was tried (`taskset`: client on core 0, mock and gateway on core 1) and dropped: with the event loop, V8's compiler and GC threads and libuv all on one core, a quick run measured the pinning rather than the code (p50 of the SDK 682 µs pinned vs 542 µs not, of `undici.request` 234 vs 168 µs; p99 1.5–1.8× higher pinned).",
    '- **Caveat**: this is a 2-core machine; client, mock and (for Portkey) the gateway share it, and other work may run on it during a run: the A/A control shows how much. p99 figures at concurrency 1 are dominated by garbage-collection pauses and by whatever else runs on the machine, so added-p99 intervals are wide; the medians are the robust figures. The suites without a control of their own (mock ceiling, config load, failover, long-run memory, the CPU profiles) read wall time directly: load on the machine inflates them, so compare them only with runs made under a similar load (the load average is given above).',
    '',
  );

  // Core: added cost over the SDK.
  if (overhead !== undefined) {
    push(
      ...overheadSection(
        overhead,
        await chart(
          'overhead.png',
          barChart({
            title: 'Concurrency 1, interleaved: p50 per call',
            subtitle:
              'plain call and time to first streamed chunk, zero-delay loopback mock (lower is better)',
            unit: 'µs',
            categories: overhead.rungs.map((entry) => entry.label),
            series: [
              {
                name: 'plain p50',
                color: colors.switchyard,
                values: overhead.rungs.map((entry) => entry.plain.p50Us),
              },
              {
                name: 'first chunk p50',
                color: colors.second,
                values: overhead.rungs.map((entry) => entry.stream.ttft.p50Us),
              },
            ],
          }),
        ),
      ),
    );
  }

  // 1. Resolve.
  const resolve = results.resolve;
  if (resolve !== undefined) {
    push(
      '## Alias resolution',
      '',
      `A ${resolve.aliases}-alias table (3-target chains), no I/O; timed in batches of ${resolve.hotPath.batchSize}, ${resolve.hotPath.batches} batches after as many warm-up batches; p99 is over batch averages.`,
      '',
      '| What | p50 | p99 |',
      '| --- | --- | --- |',
      `| Call path: \`createPlanResolver(table).resolve(alias)\` (plan cached per alias) | ${formatNumber(resolve.hotPath.p50Ns)} ns | ${formatNumber(resolve.hotPath.p99Ns)} ns |`,
      `| First resolution of an alias (plan built, then cached) | ${formatNumber(resolve.firstResolution.p50Ns)} ns | ${formatNumber(resolve.firstResolution.p99Ns)} ns |`,
      `| Public \`router.resolve(alias)\` (builds the redacted, printable \`Plan\` each time) | ${formatNumber(resolve.publicResolve.p50Ns)} ns | ${formatNumber(resolve.publicResolve.p99Ns)} ns |`,
      '',
    );
  }

  // 2. Latency: the whole ladder and the peers.
  if (latency !== undefined) {
    const flagged = (id: string, kind: 'plain' | 'ttft') => flagOf(latency, id, kind);
    push(
      '## The ladder and the peers at concurrency 1',
      '',
      `Every client, the HTTP baselines and the peers included, by the same interleaved method as above, in one run of its own: ${latency.settings.plain.rounds} rounds of ${latency.settings.plain.sweepsPerRound} sweeps of plain calls (${latency.settings.plain.rounds * latency.settings.plain.sweepsPerRound} per client) and ${latency.settings.stream.rounds} rounds of ${latency.settings.stream.sweepsPerRound} streams, after ${latency.settings.plain.warmupSweeps} and ${latency.settings.stream.warmupSweeps} warm-up sweeps. Fewer calls than the core section (the slow peers set the pace), so wider intervals; for Switchyard against the SDK the section above is the headline. Streams here interleave with the peers' (Portkey's run through a second process and hold each first chunk back 25 ms), so absolute times to first chunk in this table are not comparable with the core section's: read the paired differences.`,
      '',
      '### Plain calls',
      '',
      '| Client | calls | p50 | p99 | added p50 vs SDK [interval] | added p99 vs SDK [interval] | errors |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...latency.rungs.map((entry) => {
        const plain = entry.plain;
        const flag = flagged(entry.id, 'plain');
        return `| ${entry.label} | ${plain.n} | ${us(plain.p50Us)} | ${us(plain.p99Us)} | ${flag ?? withInterval(plain.addedP50)} | ${flag === undefined ? withInterval(plain.addedP99) : '—'} | ${plain.errors} |`;
      }),
      '',
      await chart(
        'latency-plain.png',
        barChart({
          title: 'Plain chat completion at concurrency 1',
          subtitle: 'p50 per call against a zero-delay loopback mock (lower is better)',
          unit: 'µs',
          categories: latency.rungs.map((entry) => entry.label),
          series: [
            {
              name: 'p50',
              color: colors.switchyard,
              values: latency.rungs.map((entry) => entry.plain.p50Us),
            },
          ],
        }),
      ),
      '',
      '### Streaming',
      '',
      '| Client | streams | TTFT p50 | TTFT p99 | added TTFT p50 [interval] | added TTFT p99 [interval] | gap p50 | gap p99 | added gap p50 / p99 | dropped chunks | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...latency.rungs.map((entry) => {
        const ttft = entry.stream.ttft;
        const gaps = entry.stream.gaps;
        const flag = flagged(entry.id, 'ttft');
        return `| ${entry.label} | ${ttft.n} | ${us(ttft.p50Us)} | ${us(ttft.p99Us)} | ${flag ?? withInterval(ttft.addedP50)} | ${flag === undefined ? withInterval(ttft.addedP99) : '—'} | ${us(gaps.p50Us)} | ${us(gaps.p99Us)} | ${gaps.addedP50Us === undefined ? '—' : `${us(gaps.addedP50Us)} / ${us(gaps.addedP99Us)}`} | ${entry.stream.droppedChunks} | ${ttft.errors} |`;
      }),
      '',
      await chart(
        'latency-stream.png',
        barChart({
          title: 'Streaming at concurrency 1: time to first token',
          subtitle: 'p50; bars past 3 ms are cut (Portkey holds the first chunk back ~25 ms)',
          unit: 'µs',
          max: 3000,
          categories: latency.rungs.map((entry) => entry.label),
          series: [
            {
              name: 'TTFT p50',
              color: colors.second,
              values: latency.rungs.map((entry) => entry.stream.ttft.p50Us),
            },
          ],
        }),
      ),
      '',
    );
    const contradictions = latency.consistency?.contradictions ?? [];
    if (contradictions.length > 0) {
      push(
        `Flagged in this section (a client that contains another read cheaper than it, beyond the interval): ${contradictions.map((entry) => `${entry.superset} vs ${entry.subset} (${entry.kind === 'plain' ? 'plain' : 'first chunk'}, ${withInterval(entry.differenceUs)})`).join('; ')}.`,
        '',
      );
    }
    const portkey = rung('portkey-one');
    if (portkey !== undefined) {
      push(
        `Portkey's streaming TTFT (${ms(portkey.stream.ttft.p50Us / 1000)}) is its own doing: its Node stream transformer waits 25 ms before forwarding the first chunk (\`await new Promise(r => setTimeout(r, 25))\` on the first event in the published \`build/start-server.js\`), on every stream.`,
        '',
      );
    }
  }

  // 3. Throughput.
  if (throughput !== undefined) {
    const concurrencies = throughput.settings.concurrencies;
    push(
      '## Throughput',
      '',
      throughputIntro(throughput.settings),
      '',
      `| Client | ${concurrencies.map((c) => `c=${c} req/s | vs SDK [interval] | per CPU-second vs SDK [interval] | p50 / p99 | errors`).join(' | ')} |`,
      `| --- | ${concurrencies.map(() => '--- | --- | --- | --- | ---').join(' | ')} |`,
      ...throughput.rungs.map((entry) => {
        const cells = concurrencies.map((concurrency) => {
          const cell = entry.byConcurrency[String(concurrency)];
          if (cell === undefined) return 'n/a | n/a | n/a | n/a | n/a';
          return `${formatNumber(cell.rps)} | ${percentWithInterval(cell.ratioToSdk)} | ${cell.callsPerCpuSecond === undefined ? 'n/a' : `${formatNumber(cell.callsPerCpuSecond)} calls; ${percentWithInterval(cell.cpuRatioToSdk)}`} | ${ms(cell.p50Ms)} / ${ms(cell.p99Ms)} | ${cell.errors}`;
        });
        return `| ${entry.label} | ${cells.join(' | ')} |`;
      }),
      '',
      await chart(
        'throughput.png',
        barChart({
          title: 'Throughput, closed loop',
          subtitle: 'requests per second, median over rounds (higher is better)',
          unit: 'req/s',
          categories: throughput.rungs.map((entry) => entry.label),
          series: concurrencies.map((concurrency, index) => ({
            name: `c=${concurrency}`,
            color: index === 0 ? colors.switchyard : colors.third,
            values: throughput.rungs.map((entry) => entry.byConcurrency[String(concurrency)]?.rps),
          })),
        }),
      ),
      '',
    );
  }

  // 4. Config load.
  if (configLoad !== undefined) {
    push(
      '## Config load',
      '',
      'Generated configs: N aliases, each a 3-target chain with its own retry and timeout, over 10 OpenAI-compatible gateways and min(N, 1,000) upstreams, block style. Medians of warm runs (after five untimed loads of each file, so that V8 has optimized the code being timed); the stages are timed separately on the same text.',
      '',
      '| Aliases | File | bare `yaml.parse` | `loadConfig` (whole) | ratio | YAML layer (`parseYamlSource`) | `${VAR}` | `toJS` | validate | compile | validate + compile |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...configLoad.sizes.map(
        (entry) =>
          `| ${formatNumber(entry.aliases)} | ${kib(entry.bytes)} | ${ms(entry.yamlParseMs)} | ${ms(entry.loadMs)} | ${entry.loadOverYamlParse.toFixed(2)}× | ${ms(entry.stages.yamlSourceMs)} | ${ms(entry.stages.interpolateEnvMs)} | ${ms(entry.stages.toJsMs)} | ${ms(entry.stages.validateMs)} | ${ms(entry.stages.compileMs)} | ${ms(entry.validatePlusCompileMs)} |`,
      ),
      '',
      `Every timed run starts after a full GC. Cold (the first load in a fresh process, ${configLoad.cold.aliases} aliases): \`loadConfig\` ${ms(configLoad.cold.loadMs)}, then a bare \`yaml.parse\` of the same text ${ms(configLoad.cold.yamlParseMs)} (the YAML parser's own code is already warm by then).`,
      '',
      await chart(
        'config-load.png',
        barChart({
          title: 'Config load, 1,000 aliases: where the time goes',
          subtitle: 'median ms per stage (warm)',
          unit: 'ms',
          categories: [
            'bare yaml.parse',
            'loadConfig (whole)',
            'YAML layer (parseDocument)',
            '${VAR} interpolation',
            'toJS',
            'schema validation',
            'compile step',
          ],
          series: [
            {
              name: '1,000 aliases',
              color: colors.switchyard,
              values:
                config1000 === undefined
                  ? []
                  : [
                      config1000.yamlParseMs,
                      config1000.loadMs,
                      config1000.stages.yamlSourceMs,
                      config1000.stages.interpolateEnvMs,
                      config1000.stages.toJsMs,
                      config1000.stages.validateMs,
                      config1000.stages.compileMs,
                    ],
            },
          ],
          reference: { value: 20, label: 'validate + compile target: 20 ms' },
        }),
      ),
      '',
    );
  }

  // 5. Failover.
  if (failover !== undefined) {
    push(
      '## Failover on a fast failure',
      '',
      'The primary answers 503 at once, or refuses the connection (a closed loopback port); the second target is healthy. "Via fallback" is the whole plain call (zero-delay mock: first byte ≈ answer) or the first content chunk of a stream; "direct" is the same client calling the healthy target directly, interleaved with it. Switchyard runs with health memory off, so every call pays for the failed attempt.',
      '',
      '| Client | Failure | n | via fallback p50 / p99 | direct p50 | added p50, plain | added p50, first chunk | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...failover.cases.map(
        (entry) =>
          `| ${entry.label} | ${entry.failure === '503' ? '503' : 'refused'} | ${entry.plain.n} | ${ms(entry.plain.viaFallbackP50Ms)} / ${ms(entry.plain.viaFallbackP99Ms)} | ${ms(entry.plain.directP50Ms)} | ${entry.plain.addedP50Ms === null ? 'n/a' : `+${ms(entry.plain.addedP50Ms)}`} | ${entry.stream.addedP50Ms === null ? 'n/a' : `+${ms(entry.stream.addedP50Ms)}`} | ${entry.plain.errors + entry.stream.errors}${entry.plain.firstError === undefined ? '' : ` (${entry.plain.firstError.slice(0, 120)})`} |`,
      ),
      '',
      'The default policy retries a 5xx or a network error once on the same target, after a jittered 250 ms backoff, before it falls back; that wait is configured, not overhead. `policy: { server: fallback, network: fallback }` on an alias (or under `defaults`) falls back at once, which is what the target is checked against. With health memory on (the default), the primary is skipped after 3 failures for a cool-down, and later calls go straight to the fallback.',
      '',
    );
    const shown = failover.cases.filter(
      (entry) => entry.plain.addedP50Ms !== null && entry.plain.addedP50Ms < 50,
    );
    push(
      await chart(
        'failover.png',
        barChart({
          title: 'Failover: added time to the answer via the fallback',
          subtitle:
            'p50, plain calls, vs the same client calling the fallback directly (default-policy rows left out: they include a 250 ms backoff)',
          unit: 'ms',
          categories: shown.map(
            (entry) => `${entry.label.replace(/ \(.*\)$/, '')}, ${entry.failure}`,
          ),
          series: [
            {
              name: 'added p50',
              color: colors.peer,
              values: shown.map((entry) => entry.plain.addedP50Ms ?? undefined),
            },
          ],
          reference: { value: 5, label: 'target: 5 ms' },
        }),
      ),
      '',
    );
  }

  // 6. Memory.
  if (memory !== undefined) {
    const idle = memory.idle;
    push(
      '## Memory',
      '',
      `Heap after two full GCs (\`--expose-gc\`), ${idle.aliases} aliases:`,
      '',
      '| What | Heap |',
      '| --- | --- |',
      `| Compiled route table (\`parseConfig\`) | ${idle.tableMiB.toFixed(2)} MiB |`,
      `| \`createRouter(table)\` on top (no client, no connection yet) | ${idle.routerMiB.toFixed(2)} MiB |`,
      `| Idle router, total | ${idle.idleTotalMiB.toFixed(2)} MiB |`,
      `| After resolving every alias once (all plans cached) | ${idle.afterResolvingEveryAliasMiB.toFixed(2)} MiB |`,
      '',
      `Long run at c=${memory.longRun.concurrency}, ${memory.longRun.durationS} s each: the \`openai\` SDK alone (control), then the router (3-deep chain, health memory and every hook on, one call in ten fails over from a 503). The load runs in 2 s phases; after each, the calls in flight finish and the heap is sampled after two full GCs (a quiesced heap: requests in flight would otherwise blur the trend). Even quiesced, the heap moves by ±2 MiB from sample to sample (compiled code, connection pools), so the check compares the median of the last third of samples with the middle third (the first third is warm-up: pools, caches and compiled code filling up), against the SDK alone under the same load; the least-squares slope over the whole run is shown too.`,
      '',
      '| Run | calls | errors | first → last heap | growth after plateau (last third − middle third) | slope, whole run |',
      '| --- | --- | --- | --- | --- | --- |',
      `| openai SDK alone | ${formatNumber(memory.control.calls)} | ${memory.control.errors} | ${memory.control.firstHeapMiB.toFixed(1)} → ${memory.control.lastHeapMiB.toFixed(1)} MiB | ${memory.control.netChangeMiB.toFixed(2)} MiB | ${memory.control.growthMiBPerMin.toFixed(2)} MiB/min |`,
      `| Switchyard | ${formatNumber(memory.longRun.calls)} | ${memory.longRun.errors} | ${memory.longRun.firstHeapMiB.toFixed(1)} → ${memory.longRun.lastHeapMiB.toFixed(1)} MiB | ${memory.longRun.netChangeMiB.toFixed(2)} MiB | ${memory.longRun.growthMiBPerMin.toFixed(2)} MiB/min |`,
      '',
      `After \`router.close()\`: ${memory.longRun.afterCloseHeapMiB?.toFixed(1) ?? 'n/a'} MiB. Warnings during the runs: ${Object.keys(memory.warnings).length === 0 ? 'none' : Object.keys(memory.warnings).join('; ')}.`,
      '',
      await chart(
        'memory.png',
        lineChart({
          title: 'Quiesced heap over a long run (after full GCs)',
          subtitle: `c=${memory.longRun.concurrency}, plain calls against the mock`,
          xLabel: 'seconds',
          yLabel: 'heap MiB',
          series: [
            {
              name: 'openai SDK alone',
              color: colors.baseline,
              points: memory.control.samples.map((sample) => [sample.atS, sample.heapMiB]),
            },
            {
              name: 'Switchyard (chain, all features, 10% failover)',
              color: colors.switchyard,
              points: memory.longRun.samples.map((sample) => [sample.atS, sample.heapMiB]),
            },
          ],
        }),
      ),
      '',
    );
  }

  // 7. Size.
  if (size !== undefined) {
    push(
      '## Size',
      '',
      `\`src/index.ts\` bundled with ${size.bundler} (ESM, minified; \`openai\`, \`yaml\`, \`ajv\`, \`p-retry\` external), gzip level 9:`,
      '',
      '| What | Minified | Minified + gzip |',
      '| --- | --- | --- |',
      `| The library (\`src/index.ts\`) | ${kib(size.core.minifiedBytes)} | ${kib(size.core.minifiedGzipBytes)} (${(size.core.minifiedGzipBytes / 1000).toFixed(1)} KB) |`,
      `| — without the generated validator | ${kib(size.coreWithoutGeneratedValidator.minifiedBytes)} | ${kib(size.coreWithoutGeneratedValidator.minifiedGzipBytes)} |`,
      `| The generated ajv standalone validator alone | ${kib(size.generatedValidator.minifiedBytes)} | ${kib(size.generatedValidator.minifiedGzipBytes)} |`,
      `| The emulator subpath (\`switchyard-ai/emulator\`), not part of the main entry | ${kib(size.emulatorSubpath.minifiedBytes)} | ${kib(size.emulatorSubpath.minifiedGzipBytes)} |`,
      '',
      `Run-time code generation in the bundle: \`new Function\` ${size.runtimeCodegen.newFunction ? 'found' : 'none'}, \`eval\` ${size.runtimeCodegen.eval ? 'found' : 'none'} (the validator is precompiled; it imports one ajv runtime helper, \`ajv/dist/runtime/ucs2length\`). Importing the bundle with its dependencies in a fresh process: ${ms(size.importMs.median)} (median), most of it the \`openai\` SDK's module graph.`,
      '',
    );
  }

  // Peers.
  push('## Peers', '', ...peerNotes(results), '');

  // Profiles.
  push(...profileSection(results, checks));

  const problemEntries = Object.entries(results.problems);
  if (problemEntries.length > 0) {
    push(
      '## Problems in this run',
      '',
      ...problemEntries.map(([name, problem]) => `- \`${name}\`: \`${problem.split('\n')[0]}\``),
      '',
    );
  }

  // Sections other commands write into the page (between `<!-- name:start` and
  // `<!-- name:end -->`, e.g. npm run bench:serve) are kept as they are, at the end.
  const kept = keptSections(pagePath);
  writeFileSync(
    pagePath,
    `${lines.join('\n')}\n${kept === '' ? '' : `${kept}\n\n`}${methodology.join('\n')}\n`.replace(
      /\n{3,}/g,
      '\n\n',
    ),
  );
  return { pagePath, charts };
}

function peerNotes(results: Results): string[] {
  const notes: string[] = [];
  const versions = results.versions;
  const latency = results.latency;
  const throughput = results.throughput;
  const find = (id: string) => latency?.rungs.find((entry) => entry.id === id);
  const tput = (id: string, concurrency: number) =>
    throughput?.rungs.find((entry) => entry.id === id)?.byConcurrency[String(concurrency)];
  notes.push(
    '| Peer | Version | Status | added p50, plain | added TTFT p50 | req/s c=64 (vs SDK) | req/s c=256 (vs SDK) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  const row = (
    label: string,
    version: string,
    id: string,
    throughputId: string,
    status: string,
  ) => {
    const entry = find(id);
    const c64 = tput(throughputId, 64);
    const c256 = tput(throughputId, 256);
    const cell = (value: ThroughputCell | undefined) =>
      value === undefined
        ? 'n/a'
        : `${formatNumber(value.rps)} (${percentWithInterval(value.ratioToSdk)})`;
    notes.push(
      `| ${label} | ${version} | ${status} | ${entry === undefined ? 'n/a' : withInterval(entry.plain.addedP50)} | ${entry === undefined ? 'n/a' : withInterval(entry.stream.ttft.addedP50)} | ${cell(c64)} | ${cell(c256)} |`,
    );
  };
  row(
    'Switchyard, 3-deep chain',
    versions['switchyard'] ?? '',
    'router-chain',
    'router-chain',
    'ours',
  );
  row(
    'Portkey gateway, 3-deep fallback',
    versions['@portkey-ai/gateway'] ?? '',
    'portkey-chain',
    'portkey-chain',
    results.problems['portkey'] === undefined
      ? 'ran (with a 1-line stream fix, below)'
      : 'did not run',
  );
  row(
    'Portkey gateway, 1 target',
    versions['@portkey-ai/gateway'] ?? '',
    'portkey-one',
    'portkey-one',
    'ran',
  );
  row(
    'AI SDK + ai-fallback, 3-deep',
    `ai ${versions['ai']}, ai-fallback ${versions['ai-fallback']}`,
    'ai-fallback',
    'ai-fallback',
    'ran',
  );
  row('AI SDK alone', `@ai-sdk/openai ${versions['@ai-sdk/openai']}`, 'ai-sdk', 'ai-sdk', 'ran');
  row(
    'LangChain withFallbacks, 3-deep',
    `@langchain/openai ${versions['@langchain/openai']}`,
    'langchain-fallbacks',
    'langchain-fallbacks',
    'ran',
  );
  row(
    'LangChain ChatOpenAI alone',
    `@langchain/core ${versions['@langchain/core']}`,
    'langchain',
    'langchain',
    'ran',
  );
  notes.push(
    '',
    '- **Portkey** is a separate process (one more loopback hop, and its own share of the same CPU), so its added latency includes a second HTTP exchange; it is the only peer here that is a proxy. As published (1.15.2, with `@hono/node-server` 1.19 that npm resolves from its `^1.3.3` range), **every streamed chat completion fails on Node** with `500 {"status":"failure","message":"Something went wrong"}` and `TypeError: immutable` in its log: it wraps the upstream response in `new Response(stream, upstreamResponse)`, hono\'s lightweight `Response` keeps the upstream\'s immutable `Headers` by reference, and Portkey\'s `updateHeaders()` then appends to them (Portkey-AI/gateway#1389, #1550). Pinning `@hono/node-server` to 1.14.2, the workaround suggested in #1389, does not fix streaming. The bench preloads `bench/peers/portkey-stream-fix.ts`, which copies those headers before Portkey mutates them (what the proposed fix #1551 does), so that its streaming could be measured at all; `bench/peers/loopback-only.ts` keeps it on 127.0.0.1.',
    '- **Portkey streaming TTFT**: its Node stream transformer sleeps 25 ms before forwarding the first chunk of every stream, so its TTFT is ≈ 25 ms plus the proxy hop.',
    "- **ai-fallback** does not fall back when the primary refuses the connection: its default `shouldRetryThisError` matches HTTP statuses only, so an `ECONNREFUSED` ends the call with `AI_APICallError: Cannot connect to API` (the failover table counts those as errors). It also remembers a failed model and starts later calls at the next one (`modelResetInterval`, 3 min by default); the failover bench builds a fresh fallback model per call so that every call pays for the failed attempt, as Switchyard's (health memory off) does.",
    '- **LangChain** `withFallbacks` falls back on any error, including the refused connection.',
  );
  return notes;
}

function profileSection(results: Results, checks: Check[]): string[] {
  const profile = results.profile;
  if (profile === undefined) return [];
  const { sdk, routerOne, routerFull } = profile.perCall;
  const areas = [
    ...new Set([
      ...Object.keys(sdk.byAreaUsPerCall),
      ...Object.keys(routerOne.byAreaUsPerCall),
      ...Object.keys(routerFull.byAreaUsPerCall),
    ]),
  ];
  const lines: string[] = [
    '## Where the time goes',
    '',
    `CPU profiles from V8's sampling profiler (the one behind \`node --cpu-prof\`, driven through \`node:inspector\` around the measured loops only, ${profile.samplingIntervalUs} µs interval). Per call, the SDK alone and the router make the same plain calls at concurrency 1 in alternating blocks in one process (${formatNumber(sdk.calls)} calls each); self time is summed per area and per function. Sampling makes calls slower than in the latency table; the differences are what count.`,
    '',
    '### Per call: CPU per area (µs per call)',
    '',
    '| Area | openai SDK alone | Switchyard, 1 target | Switchyard, chain + all features | added (1 target) |',
    '| --- | --- | --- | --- | --- |',
    ...areas.map(
      (area) =>
        `| ${area} | ${formatNumber(sdk.byAreaUsPerCall[area] ?? 0)} | ${formatNumber(routerOne.byAreaUsPerCall[area] ?? 0)} | ${formatNumber(routerFull.byAreaUsPerCall[area] ?? 0)} | ${formatNumber(profile.perCall.routerOneAddedByAreaUsPerCall[area] ?? 0)} |`,
    ),
    `| **total CPU** | ${formatNumber(sdk.cpuUsPerCall)} | ${formatNumber(routerOne.cpuUsPerCall)} | ${formatNumber(routerFull.cpuUsPerCall)} | ${formatNumber(routerOne.cpuUsPerCall - sdk.cpuUsPerCall)} |`,
    `| wall time per call (profiled) | ${formatNumber(sdk.wallUsPerCall)} | ${formatNumber(routerOne.wallUsPerCall)} | ${formatNumber(routerFull.wallUsPerCall)} | ${formatNumber(routerOne.wallUsPerCall - sdk.wallUsPerCall)} |`,
    '',
    '### Per call: functions whose self time grew most, router (1 target) minus SDK',
    '',
    '| Function | Where | Area | added µs per call |',
    '| --- | --- | --- | --- |',
    ...profile.perCall.routerOneAddedFunctionsUsPerCall.map(
      (entry) =>
        `| \`${entry.function}\` | \`${entry.location}\` | ${entry.area} | ${formatNumber(entry.addedUsPerCall)} |`,
    ),
    '',
    '### Top self time, router with one target',
    '',
    '| Function | Where | Area | µs per call |',
    '| --- | --- | --- | --- |',
    ...routerOne.top.map(
      (entry) =>
        `| \`${entry.function}\` | \`${entry.location}\` | ${entry.area} | ${formatNumber(entry.usPerCall)} |`,
    ),
    '',
    ...sdkOptionsTable(results),
    ...tracingTable(results),
    '### Config compile, 1,000 aliases: top self time',
    '',
    `\`compileConfig\` on the parsed 1,000-alias config, ${profile.compile.calls} times: ${ms(profile.compile.wallUsPerCall / 1000)} per compile under the profiler.`,
    '',
    '| Function | Where | ms per compile |',
    '| --- | --- | --- |',
    ...profile.compile.top.map(
      (entry) =>
        `| \`${entry.function}\` | \`${entry.location}\` | ${formatNumber(entry.usPerCall / 1000)} |`,
    ),
    '',
  ];
  lines.push(...findings(results, checks));
  return lines;
}

function sdkOptionsTable(results: Results): string[] {
  const options = results['sdk-options'];
  if (options === undefined) return [];
  return [
    '### What the SDK charges for the per-request options the router passes',
    '',
    `The \`openai\` SDK alone, the same plain call at c=1 with each option, interleaved (one call per variant per sweep in a random order, ${options.rounds} rounds of ${options.sweepsPerRound} sweeps); p50 and the paired difference from the bare call with its sign-test interval (\`bench/suites/sdk-options.ts\`).`,
    '',
    '| SDK call | p50 | added p50 vs bare call [interval] |',
    '| --- | --- | --- |',
    ...options.variants.map(
      (variant) => `| ${variant.name} | ${us(variant.p50Us)} | ${withInterval(variant.addedP50)} |`,
    ),
    '',
    'Where an interval straddles zero, that option costs less than this run can resolve; the profile above is the finer instrument for such small items.',
    '',
  ];
}

function tracingTable(results: Results): string[] {
  const tracing = results.tracing;
  if (tracing === undefined) return [];
  return [
    '### What tracing costs per call',
    '',
    `The router's plain call at c=1 without the \`tracing\` option, with \`createOpenTelemetryTracing()\` and no tracer provider registered, and with a recording OpenTelemetry SDK tracer (in-memory exporter), interleaved (${tracing.rounds} rounds of ${tracing.sweepsPerRound} sweeps); p50 and the paired difference from the call without tracing, with its sign-test interval (\`bench/suites/tracing.ts\`).`,
    '',
    '| Router call | p50 | added p50 vs no tracing [interval] |',
    '| --- | --- | --- |',
    ...tracing.variants.map(
      (variant) => `| ${variant.name} | ${us(variant.p50Us)} | ${withInterval(variant.addedP50)} |`,
    ),
    '',
  ];
}

/** What the misses come from, and what would fix them. Written against the profiles above. */
function findings(results: Results, checks: Check[]): string[] {
  const lines: string[] = ['### Findings', ''];
  const missed = (text: string) =>
    checks.some((check) => check.status === 'miss' && check.figure.includes(text));
  const profile = results.profile;
  const added = profile?.perCall.routerOneAddedByAreaUsPerCall ?? {};
  const own = (added['switchyard router'] ?? 0) + (added['p-retry'] ?? 0);
  const sdkArea = added['openai SDK'] ?? 0;
  const nodeArea = added['node internals (undici, streams, timers)'] ?? 0;
  const variants = results['sdk-options']?.variants ?? [];
  const variant = (name: string) => variants.find((entry) => entry.name.startsWith(name));
  const asRouter = variant("the call's signal in fetchOptions");
  lines.push(
    `**Per-call overhead${missed('plain call') ? ' (target missed)' : ''}.** Per plain call the profile attributes ≈ ${formatNumber(own)} µs of added CPU to the router's own JavaScript (\`src/router/*\` and p-retry), ${sdkArea < 0 ? `≈ ${formatNumber(-sdkArea)} µs *less* inside the openai SDK (the router reads the response body itself instead of through the SDK's parse)` : `≈ ${formatNumber(sdkArea)} µs to extra work *inside the openai SDK*`}, and ≈ ${formatNumber(nodeArea)} µs to Node internals (≈ ${formatNumber(own + sdkArea + nodeArea)} µs over the three). What the router still does per call: \`startCall\` resolves the plan and creates the call's signal (one \`AbortController\` and its place in the router's registry of calls in flight, where one timer serves every deadline and \`close()\` finds every call); the success path (\`runPlain\`, and \`runStream\` for a stream) sends the first attempt directly, with the target's body and headers, and the call's signal handed to \`fetch\` below the SDK instead of a per-request \`signal\` (so the SDK composes none); a success keeps what it needs to build its attempt record and route on demand.${asRouter === undefined ? '' : ` Timed on the SDK alone (table above), the per-request options the router passes add ${withInterval(asRouter.addedP50)} at p50.`}`,
    '',
    "Done while this bench was built, each measured by an A/B of two source trees in one process (bench/ab.ts): the call path sends the first attempt directly and enters the walker only after a failure; no per-request signal into the SDK; the attempt log and route built on demand; a stream's body read by the router's own SSE reader (one object per stream, an event parsed when asked for, every piece of the body seen by the idle watch) instead of the SDK's four generator layers, held to the SDK's output by a differential test (first chunk −26 µs with one target and −41 µs through a chain in its A/B, about 129 KB less garbage per stream), with a hand-written iterator for the caller (no async generator layer, chunks normalized in place) shared by chat and Responses streams; a plain chat completion's body read the same way, as JSON by the SDK's rules, in one step instead of the SDK's layered parse (−12 µs per call with one target and −8.5 µs through a chain in its A/B); one timer for every deadline of a router; a stream's first attempt opened and read to its first content in one async function, with one idle watch from the request to the end of the stream. Left: the call's controller and registration (which the deadline, abort and `close()` guarantees need), the call's async frames, and one promise per streamed chunk.",
    '',
  );
  const routerOneLatency = results.overhead?.rungs.find((entry) => entry.id === 'router-one');
  if (routerOneLatency !== undefined) {
    lines.push(
      `**Streams${missed('first streamed chunk') ? ' (time-to-first-chunk target missed)' : ''}.** A streamed call does the plain call's work plus its own: every stream attempt gets its own \`AbortController\` (first-token and idle limits end one attempt, not the call), one idle watchdog timer per stream (re-armed only when it fires early, not per chunk), a first-token timer when configured, and the caller reads a hand-written iterator (\`continueStream\`) over the router's own reader of the body (\`sse-events.ts\`: one object per stream that parses an event when asked for it, where the SDK reads through four generator layers) that passes the reader's results through (one promise per chunk) and keeps the content pieces for \`StreamInterruptedError\`. The same reader reports every piece of the body to the idle watch, SSE comment lines included. The per-chunk part is small (added gap ${us(routerOneLatency.stream.gaps.addedP50Us)} p50, ${us(routerOneLatency.stream.gaps.addedP99Us)} p99); the time to the first chunk carries the per-call overhead plus the stream set-up (added ${withInterval(routerOneLatency.stream.ttft.addedP50)} p50 for one target).`,
      '',
    );
  }
  const compile = profile?.compile.top ?? [];
  const compileTotal = profile?.compile.wallUsPerCall ?? 0;
  const compileTop = compile
    .filter((entry) => entry.area.startsWith('switchyard') || entry.area === 'gc')
    .slice(0, 4)
    .map((entry) => `\`${entry.function}\` ${formatNumber(entry.usPerCall / 1000)} ms`)
    .join(', ');
  lines.push(
    missed('validate + compile')
      ? `**Config compile (target missed).** Validation is cheap (the precompiled ajv validator); the compile step (\`compileConfig\`, src/config/compile-config.ts) is not. Under the profiler one compile of 1,000 aliases takes ${formatNumber(compileTotal / 1000)} ms; the top self time: ${compileTop}. Freezing dominated in an earlier run: \`deepFreeze\` ran per alias and then again over the whole table (re-walking every frozen part with a fresh visited \`Set\`), and \`freezeRecord\` defined every key with \`Object.defineProperty\` one at a time. Fix: freeze each part once as it is built, skip objects that are already frozen, and build records with \`Object.assign(Object.create(null), record)\` + one \`Object.freeze\`.`
      : `**Config compile.** Meets the target: validation is cheap (the precompiled ajv validator) and the compile step (\`compileConfig\`, src/config/compile-config.ts) now takes ${formatNumber(compileTotal / 1000)} ms per 1,000 aliases under the profiler (top self time: ${compileTop}). An earlier run of this bench, at commit 309b276, measured 22.8 ms for the compile step (validate + compile 23.9 ms, a miss): \`deepFreeze\` ran per alias and again over the whole table, re-walking every frozen part with a fresh visited \`Set\`, and \`freezeRecord\` defined each key with \`Object.defineProperty\`; commit 9792af5 freezes each part once as it is built and builds records with \`Object.assign\`, and no longer scans the document for secret ranges on the success path.`,
    '',
  );
  const config1000 = results['config-load']?.sizes.find((size) => size.aliases === 1000);
  if (config1000 !== undefined) {
    lines.push(
      `**Whole load.** At 1,000 aliases the YAML layer (\`parseDocument\` with a \`LineCounter\`, ${ms(config1000.stages.yamlSourceMs)}) is most of \`loadConfig\` (${ms(config1000.loadMs)}), as the reference predicted (YAML parsing, not validation, dominates).`,
      '',
    );
  }
  const throughputMiss = checks.filter(
    (check) => check.status === 'miss' && check.figure.startsWith('Throughput'),
  );
  if (throughputMiss.length > 0) {
    lines.push(
      `**Throughput.** At c=64 and 256 the client process is CPU-bound (the SDK alone already saturates it), so the router's extra CPU per call turns directly into fewer requests per second: the same fixes apply. Nothing in the router's per-call work grows with concurrency (calls in flight are kept in a \`Set\` for \`close()\`, not as listeners on one shared signal, which would have cost ≈ 1 µs more per add/remove at 256 listeners on this machine).`,
      '',
    );
  }
  return lines;
}
