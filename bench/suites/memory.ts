/**
 * Memory (run with --expose-gc). Idle: heap after a full GC before and after compiling a
 * 1,000-alias config, creating a router on it, and resolving every alias once (plans cached).
 * Long run: the router (3-deep chain, health memory and every hook on; one call in ten to an
 * alias whose primary answers 503) at concurrency 16 against the mock, after the `openai` SDK
 * alone under the same load as a control. The load runs in phases; after each, calls in flight
 * finish and the heap is sampled after full GCs. Reported: the growth after the plateau (median
 * of the last third of samples minus the middle third) and the least-squares slope.
 */
import { createRouter, parseConfig, type Router, type RouteTable } from '../../src/index.ts';
import {
  benchEnv,
  ladderConfigYaml,
  largeConfigLimits,
  largeConfigYaml,
} from '../lib/config-fixture.ts';
import { messages } from '../lib/ladder.ts';
import { loadOpenAI } from '../lib/modules.ts';
import { median, round, slope } from '../lib/stats.ts';
import { collectWarnings, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with --expose-gc');
const heap = () => {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
};
const mib = (bytes: number) => round(bytes / 1024 / 1024, 3);

// Load the code paths once with a small config so module code is not counted below.
createRouter(parseConfig(largeConfigYaml(10), { env: benchEnv }), { health: false }).resolve(
  'alias-0',
);
const text = largeConfigYaml(1000);
const before = heap();
const table: RouteTable = parseConfig(text, { env: benchEnv, limits: largeConfigLimits });
const afterTable = heap();
const router = createRouter(table);
const afterRouter = heap();
for (const alias of Object.keys(table.aliases)) {
  // The call path's resolution: the same cache the first call of each alias fills.
  router.resolve(alias);
}
const afterResolve = heap();
const idle = {
  aliases: Object.keys(table.aliases).length,
  tableMiB: mib(afterTable - before),
  routerMiB: mib(afterRouter - afterTable),
  idleTotalMiB: mib(afterRouter - before),
  afterResolvingEveryAliasMiB: mib(afterResolve - before),
};
await router.close();

// Long runs: the SDK alone (control), then the router, under the same load.
const durationS = args.quick ? 6 : 30;
const sampleEveryS = args.quick ? 1 : 2;
const concurrency = 16;
const runTable = parseConfig(
  ladderConfigYaml({ mockUrl: args.mockUrl, refusedUrl: args.refusedUrl }),
  { env: benchEnv },
);

type Sample = { atS: number; heapMiB: number; rssMiB: number; calls: number };

/**
 * Runs `call` from `concurrency` callers in phases; after each phase the callers stop, every
 * call in flight ends, and the heap is sampled after full GCs (a quiesced heap, so requests in
 * flight at the moment of sampling do not blur the trend).
 */
async function longRun(call: (index: number) => Promise<void>) {
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  let running = true;
  const worker = async () => {
    while (running) {
      calls += 1;
      try {
        await call(calls);
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
      }
    }
  };
  const phase = async (milliseconds: number) => {
    running = true;
    const workers = Array.from({ length: concurrency }, worker);
    await new Promise((resolve) => setTimeout(resolve, milliseconds));
    running = false;
    await Promise.all(workers);
  };
  await phase(1000);
  const samples: Sample[] = [];
  const start = performance.now();
  while (performance.now() - start < durationS * 1000) {
    await phase(sampleEveryS * 1000);
    samples.push({
      atS: round((performance.now() - start) / 1000, 2),
      heapMiB: mib(heap()),
      rssMiB: mib(process.memoryUsage().rss),
      calls,
    });
  }
  const third = Math.max(1, Math.floor(samples.length / 3));
  const heaps = samples.map((sample) => sample.heapMiB);
  return {
    durationS,
    concurrency,
    calls,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    /**
     * Growth after the plateau: median heap of the last third of samples minus that of the
     * middle third (the first third is the warm-up: pools, caches and compiled code fill up).
     */
    netChangeMiB: round(
      median(heaps.slice(-third)) - median(heaps.slice(third, heaps.length - third)),
      3,
    ),
    growthMiBPerMin: round(
      slope(
        samples.map((sample) => sample.atS),
        heaps,
      ) * 60,
      3,
    ),
    firstHeapMiB: samples[0]?.heapMiB,
    lastHeapMiB: samples.at(-1)?.heapMiB,
    samples,
  };
}

const OpenAI = await loadOpenAI();
const sdk = new OpenAI({
  apiKey: benchEnv.BENCH_API_KEY,
  baseURL: `${args.mockUrl}/v1`,
  maxRetries: 0,
});
const control = await longRun(async () => {
  await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages });
});

let hookCalls = 0;
const hook = () => {
  hookCalls += 1;
};
const longRouter: Router = createRouter(runTable, {
  onAttempt: hook,
  onRetry: hook,
  onFallback: hook,
  onSuccess: hook,
  onFailure: hook,
});
const routerRun = await longRun(async (index) => {
  const model = index % 10 === 0 ? 'failover-503' : 'chain3';
  const { route } = await longRouter.chat.completions.create({ model, messages }).withRoute();
  if (route.attempts.length === 0) throw new Error('no attempts');
});
await longRouter.close();
const afterClose = heap();

writeResult(args.out, {
  idle,
  longRun: {
    what: 'router: chain3 with health memory and every hook, 1 call in 10 fails over from a 503',
    ...routerRun,
    hookCalls,
    afterCloseHeapMiB: mib(afterClose),
  },
  control: { what: 'openai SDK alone, same load', ...control },
  warnings,
});
