/**
 * Closed-loop throughput at fixed concurrency (64 and 256): `c` callers each make plain calls
 * back to back for a short window after a discarded warm-up (calls that end inside the window
 * count). Many short rounds; in each round
 * every rung runs one window, in a fresh random order. Per rung and round, its requests per
 * second as a share of the SDK's in the same round; reported as the median over rounds with a
 * sign-test interval. The A/A control (a second, identical SDK client) shows the spread the
 * method itself has. Latency p50/p99 and errors are pooled over the windows.
 *
 * On a machine shared with other work, requests per second measure the share of the CPU this
 * process got as much as the code. Each window therefore also reports calls completed per second
 * of this process's own CPU time (user + system, all threads) and its ratio to the SDK's: the
 * cost per call under concurrency, which other work on the machine does not change.
 */
import { buildLadder, type Rung } from '../lib/ladder.ts';
import { median, medianInterval, round, seededRandom, shuffle, summarize } from '../lib/stats.ts';
import { collectWarnings, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const random = seededRandom(args.seed);
const settings = args.quick
  ? { concurrencies: [64, 256], rounds: 4, warmupMs: 300, durationMs: 800 }
  : { concurrencies: [64, 256], rounds: 8, warmupMs: 400, durationMs: 1200 };

// The SDK, its A/A control, the minimal wrapper, every Switchyard rung, and each peer with its
// fallback configured (Portkey's 3-deep fallback config, ai-fallback, LangChain withFallbacks).
const { rungs, problems } = await buildLadder({
  mockUrl: args.mockUrl,
  refusedUrl: args.refusedUrl,
  portkeyUrl: args.portkeyUrl,
  only: [
    'sdk',
    'sdk-control',
    'wrapper',
    'router-one',
    'router-chain',
    'router-full',
    'portkey-chain',
    'ai-fallback',
    'langchain-fallbacks',
  ],
});

type Cell = {
  rps: number[];
  /** Calls completed per second of this process's CPU time (user + system, all threads). */
  perCpuSecond: number[];
  latencies: number[];
  errors: number;
  firstError?: string;
};
const cells = new Map<string, Cell>();
const cellOf = (id: string, concurrency: number) => {
  const key = `${id}@${concurrency}`;
  let cell = cells.get(key);
  if (cell === undefined) {
    cell = { rps: [], perCpuSecond: [], latencies: [], errors: 0 };
    cells.set(key, cell);
  }
  return cell;
};

/**
 * Runs `concurrency` callers for warm-up + window and counts the calls that end inside the
 * window (completions per second while every caller is busy; on a loaded machine a call can
 * take longer than a short window, so requiring it to start inside too would count nothing).
 */
async function drive(rung: Rung, concurrency: number): Promise<void> {
  const cell = cellOf(rung.id, concurrency);
  const begin = performance.now();
  const windowStart = begin + settings.warmupMs;
  const windowEnd = windowStart + settings.durationMs;
  let completed = 0;
  let completedAll = 0;
  // Calls and CPU time read together at the window's edges (a late timer moves both alike).
  const cpuSeconds = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  };
  const edges: { calls: number; cpu: number }[] = [];
  const mark = () => edges.push({ calls: completedAll, cpu: cpuSeconds() });
  const startTimer = setTimeout(mark, settings.warmupMs);
  const endTimer = setTimeout(mark, settings.warmupMs + settings.durationMs);
  const caller = async () => {
    while (performance.now() < windowEnd) {
      const start = performance.now();
      try {
        await rung.plain();
        const end = performance.now();
        completedAll += 1;
        if (end >= windowStart && end <= windowEnd) {
          completed += 1;
          cell.latencies.push(end - start);
        }
      } catch (error) {
        cell.errors += 1;
        cell.firstError ??=
          error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  cell.rps.push(completed / (settings.durationMs / 1000));
  const [first, last] = edges;
  if (first !== undefined && last !== undefined && last.cpu > first.cpu) {
    cell.perCpuSecond.push((last.calls - first.calls) / (last.cpu - first.cpu));
  }
}

const started = performance.now();
for (let roundIndex = 0; roundIndex < settings.rounds; roundIndex += 1) {
  for (const concurrency of settings.concurrencies) {
    for (const rung of shuffle([...rungs], random)) {
      await drive(rung, concurrency);
      // Let sockets and timers of the last burst settle before the next rung.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const result = {
  settings,
  seed: args.seed,
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  rungs: rungs.map((rung) => ({
    id: rung.id,
    label: rung.label,
    group: rung.group,
    baseline: 'sdk',
    byConcurrency: Object.fromEntries(
      settings.concurrencies.map((concurrency) => {
        const cell = cellOf(rung.id, concurrency);
        const base = cellOf('sdk', concurrency);
        const latency = summarize(cell.latencies);
        const ratioOf = (own: number[], baseline: number[]) =>
          medianInterval(
            own
              .map((value, index) => value / (baseline[index] ?? Number.NaN))
              .filter((value) => Number.isFinite(value)),
          );
        const ratio = ratioOf(cell.rps, base.rps);
        const cpuRatio = ratioOf(cell.perCpuSecond, base.perCpuSecond);
        const rounded = (estimate: typeof ratio) => ({
          estimate: round(estimate.estimate, 3),
          interval: [round(estimate.interval[0], 3), round(estimate.interval[1], 3)],
          confidence: round(estimate.confidence, 3),
          rounds: estimate.n,
        });
        return [
          String(concurrency),
          {
            rps: round(median(cell.rps), 0),
            rpsPerRound: cell.rps.map((value) => round(value, 0)),
            callsPerCpuSecond: round(median(cell.perCpuSecond), 0),
            p50Ms: round(latency.p50, 2),
            p99Ms: round(latency.p99, 2),
            errors: cell.errors,
            ...(cell.firstError === undefined ? {} : { firstError: cell.firstError }),
            ...(rung.id === 'sdk'
              ? {}
              : { ratioToSdk: rounded(ratio), cpuRatioToSdk: rounded(cpuRatio) }),
          },
        ];
      }),
    ),
  })),
};
for (const rung of rungs) await rung.close?.();
writeResult(args.out, result);
