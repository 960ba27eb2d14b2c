/**
 * Closed-loop throughput at fixed concurrency (64 and 256): `c` callers make plain calls back to
 * back, without stopping, while the rung they call changes from one short window to the next
 * (`lib/closed-loop.ts`: connections and compiled code stay warm; a window counts only once the
 * previous rung's calls have all ended, so every call in flight in it is its own rung's).
 *
 * Many short rounds. A round is one window of each rung, two of each rung a target is set for
 * (and of the A/A control, which is measured exactly like them), in a fresh random order, with
 * the SDK's windows at its start, middle and end. Per rung and round: its calls per second over
 * its windows of the round divided by the SDK's over the SDK's windows of the same round (drift
 * that is slow against a round, a few seconds, moves both alike and cancels). The figure is the
 * Hodges–Lehmann centre of those ratios over rounds (in logarithms) with its Wilcoxon
 * signed-rank interval. The A/A control (a second,
 * identical SDK client) shows the spread the method itself has. Latency p50/p99 and errors are
 * pooled over the windows.
 *
 * On a machine shared with other work, requests per second measure the share of the CPU this
 * process got as much as the code. Each window therefore also reports calls completed per second
 * of this process's own CPU time (user + system, all threads), and of its main thread's alone
 * (the event loop, where the calls' JavaScript runs), with their ratios to the SDK's formed the
 * same way: the cost per call under concurrency, which other work on the machine changes less.
 */
import { type LoopWindow, startClosedLoop } from '../lib/closed-loop.ts';
import { buildLadder, ownRungIds, type Rung } from '../lib/ladder.ts';
import {
  hodgesLehmannInterval,
  median,
  round,
  seededRandom,
  shuffle,
  summarize,
} from '../lib/stats.ts';
import { collectWarnings, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const random = seededRandom(args.seed);
/** Rungs with two windows per round: the A/A control and the rungs the targets are set for. */
const focus = ['sdk-control', 'router-one', 'router-chain'];
const settings = {
  ...(args.quick
    ? { concurrencies: [64, 256], rounds: 4, windowMs: 150, warmupMs: 200 }
    : { concurrencies: [64, 256], rounds: 40, windowMs: 250, warmupMs: 500 }),
  /** SDK windows per round (at its start, middle and end). */
  sdkWindowsPerRound: 3,
  focus,
  windowsPerRoundFocus: 2,
};

// The SDK, its A/A control, the minimal wrapper, every Switchyard rung, and each peer with its
// fallback configured (Portkey's 3-deep fallback config, ai-fallback, LangChain withFallbacks).
const { rungs, problems } = await buildLadder({
  mockUrl: args.mockUrl,
  refusedUrl: args.refusedUrl,
  portkeyUrl: args.portkeyUrl,
  only: [...ownRungIds, 'portkey-chain', 'ai-fallback', 'langchain-fallbacks'],
});
const sdk = rungs.find((rung) => rung.id === 'sdk');
if (sdk === undefined) throw new Error(`the openai SDK rung did not build: ${problems['sdk']}`);
const others = rungs.filter((rung) => rung !== sdk);

/** Totals of a set of windows. */
type Totals = { completed: number; seconds: number; cpuSeconds: number; mainCpuSeconds: number };
const emptyTotals = (): Totals => ({ completed: 0, seconds: 0, cpuSeconds: 0, mainCpuSeconds: 0 });
const add = (totals: Totals, window: LoopWindow) => {
  totals.completed += window.completed;
  totals.seconds += window.seconds;
  totals.cpuSeconds += window.cpuSeconds;
  totals.mainCpuSeconds += window.mainCpuSeconds;
};

type Cell = {
  /** Per round: requests per second, calls per CPU-second, calls per main-thread CPU-second. */
  rps: number[];
  perCpuSecond: number[];
  perMainCpuSecond: number[];
  /** Per round, against the SDK's windows of the same round (not for the SDK itself). */
  ratios: number[];
  cpuRatios: number[];
  mainCpuRatios: number[];
  latencies: number[];
  settleMs: number[];
  windows: number;
};
const cells = new Map<string, Cell>();
const cellOf = (id: string, concurrency: number) => {
  const key = `${id}@${concurrency}`;
  let cell = cells.get(key);
  if (cell === undefined) {
    cell = {
      rps: [],
      perCpuSecond: [],
      perMainCpuSecond: [],
      ratios: [],
      cpuRatios: [],
      mainCpuRatios: [],
      latencies: [],
      settleMs: [],
      windows: 0,
    };
    cells.set(key, cell);
  }
  return cell;
};
const errorsOf = new Map<string, { count: number; first: string }>();

const rates = (totals: Totals) => ({
  rps: totals.completed / totals.seconds,
  perCpu: totals.cpuSeconds > 0 ? totals.completed / totals.cpuSeconds : Number.NaN,
  perMainCpu: totals.mainCpuSeconds > 0 ? totals.completed / totals.mainCpuSeconds : Number.NaN,
});

const started = performance.now();
for (const concurrency of settings.concurrencies) {
  const loop = startClosedLoop(concurrency, sdk);
  // Warm-up, discarded: every rung once, so that its code is compiled and its connections open.
  // A rung's windows last at least 3 times its median latency there (a slow rung's calls end
  // in waves; a window must hold several).
  const windowMsOf = new Map<string, number>();
  for (const rung of shuffle([sdk, ...others], random)) {
    const warm = await loop.window(rung, settings.warmupMs);
    const latency = median([...warm.latencies]);
    windowMsOf.set(
      rung.id,
      Math.round(Math.max(settings.windowMs, Number.isFinite(latency) ? 3 * latency : 0)),
    );
  }
  for (let roundIndex = 0; roundIndex < settings.rounds; roundIndex += 1) {
    const order = shuffle(
      others.flatMap((rung) =>
        Array.from<Rung>({
          length: focus.includes(rung.id) ? settings.windowsPerRoundFocus : 1,
        }).fill(rung),
      ),
      random,
    );
    // SDK windows at the start, the middle and the end of the round.
    const middle = Math.ceil(order.length / 2);
    const sequence = [sdk, ...order.slice(0, middle), sdk, ...order.slice(middle), sdk];
    const totals = new Map<string, Totals>();
    for (const rung of sequence) {
      const window = await loop.window(rung, windowMsOf.get(rung.id) ?? settings.windowMs);
      const cell = cellOf(rung.id, concurrency);
      cell.latencies.push(...window.latencies);
      cell.settleMs.push(window.settleMs);
      cell.windows += 1;
      let total = totals.get(rung.id);
      if (total === undefined) {
        total = emptyTotals();
        totals.set(rung.id, total);
      }
      add(total, window);
    }
    const base = rates(totals.get(sdk.id) ?? emptyTotals());
    for (const [id, total] of totals) {
      const own = rates(total);
      const cell = cellOf(id, concurrency);
      cell.rps.push(own.rps);
      cell.perCpuSecond.push(own.perCpu);
      cell.perMainCpuSecond.push(own.perMainCpu);
      if (id === sdk.id) continue;
      cell.ratios.push(own.rps / base.rps);
      cell.cpuRatios.push(own.perCpu / base.perCpu);
      cell.mainCpuRatios.push(own.perMainCpu / base.perMainCpu);
    }
  }
  await loop.stop();
  for (const [id, entry] of loop.errors) errorsOf.set(`${id}@${concurrency}`, entry);
}

/**
 * The centre of per-round ratios: the Hodges–Lehmann estimate of their logarithms with its
 * Wilcoxon signed-rank interval, back to a ratio. It assumes a round's log-ratio is as likely
 * above its centre as below by the same amount (true of the A/A control by construction); on the
 * rounds tried it was a third narrower than the sign test's interval (see bench/README.md).
 */
const estimate = (values: number[]) => {
  const found = hodgesLehmannInterval(
    values.filter((value) => Number.isFinite(value) && value > 0).map((value) => Math.log(value)),
  );
  return {
    estimate: round(Math.exp(found.estimate), 3),
    interval: [round(Math.exp(found.interval[0]), 3), round(Math.exp(found.interval[1]), 3)],
    confidence: round(found.confidence, 3),
    rounds: found.n,
  };
};
const finiteMedian = (values: number[]) => median(values.filter((value) => Number.isFinite(value)));

const result = {
  settings,
  seed: args.seed,
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  rungs: [sdk, ...others].map((rung) => ({
    id: rung.id,
    label: rung.label,
    group: rung.group,
    baseline: 'sdk',
    byConcurrency: Object.fromEntries(
      settings.concurrencies.map((concurrency) => {
        const cell = cellOf(rung.id, concurrency);
        const latency = summarize(cell.latencies);
        const errors = errorsOf.get(`${rung.id}@${concurrency}`);
        return [
          String(concurrency),
          {
            rps: round(median(cell.rps), 0),
            rpsPerRound: cell.rps.map((value) => round(value, 0)),
            callsPerCpuSecond: round(finiteMedian(cell.perCpuSecond), 0),
            callsPerMainThreadCpuSecond: round(finiteMedian(cell.perMainCpuSecond), 0),
            p50Ms: round(latency.p50, 2),
            p99Ms: round(latency.p99, 2),
            windows: cell.windows,
            settleP50Ms: round(median(cell.settleMs), 1),
            errors: errors?.count ?? 0,
            ...(errors === undefined ? {} : { firstError: errors.first }),
            ...(rung === sdk
              ? {}
              : {
                  ratioToSdk: estimate(cell.ratios),
                  cpuRatioToSdk: estimate(cell.cpuRatios),
                  mainThreadCpuRatioToSdk: estimate(cell.mainCpuRatios),
                }),
          },
        ];
      }),
    ),
  })),
};
for (const rung of rungs) await rung.close?.();
writeResult(args.out, result);
