/**
 * Closed-loop throughput at fixed concurrency (64 and 256): `c` callers each make plain calls
 * back to back for a fixed time after a discarded warm-up. Rungs and rounds interleave. Reports
 * requests per second (median over rounds), latency p50/p99 and errors, and each rung's
 * throughput as a share of its baseline's (the `openai` SDK).
 */
import { buildLadder, type Rung } from '../lib/ladder.ts';
import { median, round, summarize } from '../lib/stats.ts';
import { collectWarnings, rotate, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const settings = args.quick
  ? { concurrencies: [64, 256], rounds: 1, warmupMs: 300, durationMs: 1200 }
  : { concurrencies: [64, 256], rounds: 3, warmupMs: 500, durationMs: 2000 };

// The baselines, every Switchyard rung, and each peer with its fallback configured (Portkey's
// 3-deep fallback config, ai-fallback, LangChain withFallbacks).
const { rungs, problems } = await buildLadder({
  mockUrl: args.mockUrl,
  refusedUrl: args.refusedUrl,
  portkeyUrl: args.portkeyUrl,
  only: [
    'undici',
    'fetch',
    'sdk',
    'router-one',
    'router-chain',
    'router-full',
    'portkey-chain',
    'ai-fallback',
    'langchain-fallbacks',
  ],
});

type Cell = { rps: number[]; latencies: number[]; errors: number; firstError?: string };
const cells = new Map<string, Cell>();
const cellOf = (rung: Rung, concurrency: number) => {
  const key = `${rung.id}@${concurrency}`;
  let cell = cells.get(key);
  if (cell === undefined) {
    cell = { rps: [], latencies: [], errors: 0 };
    cells.set(key, cell);
  }
  return cell;
};

/** Runs `concurrency` callers for warm-up + duration; counts only calls that end in the window. */
async function drive(rung: Rung, concurrency: number): Promise<void> {
  const cell = cellOf(rung, concurrency);
  const begin = performance.now();
  const windowStart = begin + settings.warmupMs;
  const windowEnd = windowStart + settings.durationMs;
  let completed = 0;
  const caller = async () => {
    while (performance.now() < windowEnd) {
      const start = performance.now();
      try {
        await rung.plain();
        const end = performance.now();
        if (start >= windowStart && end <= windowEnd) {
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
  cell.rps.push(completed / (settings.durationMs / 1000));
}

const started = performance.now();
for (let roundIndex = 0; roundIndex < settings.rounds; roundIndex += 1) {
  for (const concurrency of settings.concurrencies) {
    for (const rung of rotate(rungs, roundIndex)) {
      await drive(rung, concurrency);
      // Let sockets and timers of the last burst settle before the next rung.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const result = {
  settings,
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  rungs: rungs.map((rung) => ({
    id: rung.id,
    label: rung.label,
    group: rung.group,
    baseline: rung.baseline,
    byConcurrency: Object.fromEntries(
      settings.concurrencies.map((concurrency) => {
        const cell = cellOf(rung, concurrency);
        const base = cells.get(`${rung.baseline}@${concurrency}`);
        const latency = summarize(cell.latencies);
        const rps = median(cell.rps);
        return [
          String(concurrency),
          {
            rps: round(rps, 0),
            rpsPerRound: cell.rps.map((value) => round(value, 0)),
            p50Ms: round(latency.p50, 2),
            p99Ms: round(latency.p99, 2),
            errors: cell.errors,
            ...(cell.firstError === undefined ? {} : { firstError: cell.firstError }),
            ...(base === undefined ? {} : { ratioToBaseline: round(rps / median(base.rps), 3) }),
          },
        ];
      }),
    ),
  })),
};
for (const rung of rungs) await rung.close?.();
writeResult(args.out, result);
