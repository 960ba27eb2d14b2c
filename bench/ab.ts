/**
 * A/B of two source trees of the router, in one process: the SDK alone, the router built from
 * `--base <dir>` (a directory holding a `src/` tree, e.g. `git archive main src | tar -x -C
 * <dir>`) and the router from this checkout, with one target (or `--alias chain3`; `--alias sized`
 * or `hedged` for a context window and a price, or an armed hedge, with a base that knows them), calls
 * interleaved one at a time in random order (bench/lib/interleave.ts), then garbage per call
 * and CPU time per call in blocks, rungs in a random order per round. Prints head − base and
 * each − SDK: plain p50, time to the first chunk, CPU µs and heap bytes per plain and per
 * streamed call, each with its interval. `--skip plain,stream,cpu,garbage` leaves parts out.
 *
 *   node --expose-gc bench/ab.ts --base bench/results/tmp/base [--rounds 40] [--garbage 8]
 *
 * Put `<dir>` at the repository's top level (say `.ab-base/`), not under `bench/`: its `src/`
 * must resolve `openai` to the same copy as this checkout's, or the two routers differ by more
 * than their code (a copy under `bench/` loads bench's own `openai` and read ~40 µs slower to
 * the first chunk than the identical code beside it).
 *
 * A working tool for trying a change, not part of `npm run bench`.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchEnv, ladderConfigYaml } from './lib/config-fixture.ts';
import { allocatedPerCall } from './lib/garbage.ts';
import { interleave, pairedMedianDifference, toMicroseconds } from './lib/interleave.ts';
import { timeStream } from './lib/ladder.ts';
import { loadOpenAI, paths } from './lib/modules.ts';
import { pinning, startNodeChild } from './lib/processes.ts';
import { medianInterval, round, seededRandom, shuffle } from './lib/stats.ts';
import { stubFetch } from './lib/stub-fetch.ts';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    /** A directory holding the src/ tree to compare (default: this checkout). */
    head: { type: 'string' },
    alias: { type: 'string', default: 'one' },
    rounds: { type: 'string', default: '40' },
    sweeps: { type: 'string', default: '15' },
    garbage: { type: 'string', default: '8' },
    'cpu-rounds': { type: 'string', default: '12' },
    'plain-calls': { type: 'string', default: '300' },
    'stream-calls': { type: 'string', default: '100' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    skip: { type: 'string', default: '' },
    stub: { type: 'boolean', default: false },
    /** Sweeps before timing: enough for V8 to optimize every rung's call path. */
    warmup: { type: 'string', default: '3000' },
    block: { type: 'string', default: 'cpu' },
  },
});
if (values.base === undefined) throw new Error('--base <dir with src/> is required');
const skip = new Set(values.skip.split(',').filter((part) => part !== ''));
const random = seededRandom(Number(values.seed));
const alias = values.alias;
const messages = [{ role: 'user' as const, content: 'Say hello in one sentence.' }];
async function* contents(
  stream: AsyncIterable<{ choices: { delta?: { content?: string | null } }[] }>,
): AsyncGenerator<string | undefined> {
  for await (const chunk of stream) yield chunk.choices[0]?.delta?.content ?? undefined;
}
const pin = pinning();
const mock = await startNodeChild({
  args: [join(paths.benchDirectory, 'lib', 'mock-server.ts')],
  cpu: pin.mock,
});
const refusedUrl = 'http://127.0.0.1:9';
const stub = values.stub === true;
/**
 * `--stub`: every client's fetch answers in-process with the mock's own bytes (a fresh
 * `Response` per call, the stream one frame per read), so what is timed is the SDK and the
 * router alone, on one core, without the network or the mock process.
 */
const fetchOption = stub ? { fetch: stubFetch as typeof fetch } : {};
const OpenAI = await loadOpenAI();
const sdkClient = new OpenAI({
  apiKey: benchEnv.BENCH_API_KEY,
  baseURL: `${mock.url}/v1`,
  maxRetries: 0,
  ...fetchOption,
});
const sdk = {
  async plain() {
    await sdkClient.chat.completions.create({ model: 'gpt-4o-mini', messages });
  },
  async stream() {
    const start = performance.now();
    const stream = await sdkClient.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
    });
    return timeStream(start, contents(stream));
  },
};

type Api = typeof import('../src/index.ts');
const load = async (root: string) =>
  (await import(pathToFileURL(join(root, 'src', 'index.ts')).href)) as Api;
const routerRung = (api: Api, id: string) => {
  const router = api.createRouter(
    api.parseConfig(
      ladderConfigYaml({
        mockUrl: mock.url,
        refusedUrl,
        routing: alias === 'sized' || alias === 'hedged',
      }),
      { env: benchEnv },
    ),
    { health: false, ...fetchOption },
  );
  return {
    id,
    router,
    async plain() {
      await router.chat.completions.create({ model: alias, messages });
    },
    async stream() {
      const start = performance.now();
      const stream = await router.chat.completions.create({ model: alias, messages, stream: true });
      return timeStream(start, contents(stream));
    },
  };
};
const all = [
  { id: 'sdk', plain: () => sdk.plain(), stream: () => sdk.stream() },
  routerRung(await load(resolve(values.base)), 'base'),
  routerRung(
    await load(values.head === undefined ? paths.rootDirectory : resolve(values.head)),
    'head',
  ),
];

const settings = {
  rounds: Number(values.rounds),
  sweepsPerRound: Number(values.sweeps),
  warmupSweeps: Number(values.warmup),
};
const report = (label: string, samples: Awaited<ReturnType<typeof interleave>>) => {
  const get = (id: string) => samples.get(id) as NonNullable<ReturnType<typeof samples.get>>;
  const line = (a: string, b: string) => {
    const estimate = toMicroseconds(pairedMedianDifference(get(a), get(b)));
    return `${a}−${b} ${estimate.estimateUs} [${estimate.intervalUs.join(', ')}] µs`;
  };
  console.log(
    `${label}: ${line('head', 'base')} | ${line('base', 'sdk')} | ${line('head', 'sdk')} | errors ${[...samples.values()].map((entry) => entry.errors).join('/')}`,
  );
};
if (!skip.has('plain')) {
  const plain = await interleave(
    all.map((rung) => ({
      id: rung.id,
      async call() {
        const start = performance.now();
        await rung.plain();
        return performance.now() - start;
      },
    })),
    settings,
    random,
  );
  report('plain p50', plain);
}
if (!skip.has('stream')) {
  const stream = await interleave(
    all.map((rung) => ({
      id: rung.id,
      async call() {
        const start = performance.now();
        const timing = await rung.stream();
        if (timing.contentChunks !== 32) throw new Error(`${timing.contentChunks} chunks`);
        // Stubbed, the whole stream is CPU: time all of it.
        return stub ? performance.now() - start : timing.ttftMs;
      },
    })),
    settings,
    random,
  );
  report(stub ? 'whole stream p50' : 'first chunk p50', stream);
}
if (!skip.has('cpu')) {
  // CPU time of this process per call (user + system, µs), blocks of calls per rung in a random
  // order each round: less sensitive to other processes on the machine than wall time.
  const cpu = new Map<string, { plain: number[]; stream: number[] }>(
    all.map((rung) => [rung.id, { plain: [], stream: [] }]),
  );
  // `--block wall`: the wall time of the block instead (with --stub, all of it is this
  // process's CPU, collections included: the mean cost per call, which a p50 does not see).
  const wall = values.block === 'wall';
  // `--block thread`: the main thread's CPU time only (Node ≥ 23.9), so the collector's and the
  // compiler's helper threads, and every other process, stay out of the figure.
  const usage =
    values.block === 'thread'
      ? (before?: NodeJS.CpuUsage) =>
          (
            process as unknown as { threadCpuUsage(b?: NodeJS.CpuUsage): NodeJS.CpuUsage }
          ).threadCpuUsage(before)
      : (before?: NodeJS.CpuUsage) => process.cpuUsage(before);
  const cpuPerCall = async (call: () => Promise<unknown>, calls: number) => {
    const before = usage();
    const start = performance.now();
    for (let index = 0; index < calls; index += 1) await call();
    if (wall) return ((performance.now() - start) * 1000) / calls;
    const used = usage(before);
    return (used.user + used.system) / calls;
  };
  for (const rung of all) for (let index = 0; index < 300; index += 1) await rung.plain();
  for (const rung of all) for (let index = 0; index < 100; index += 1) await rung.stream();
  for (let index = 0; index < Number(values['cpu-rounds']); index += 1) {
    for (const kind of ['plain', 'stream'] as const) {
      for (const rung of shuffle([...all], random)) {
        const calls = Number(values[kind === 'plain' ? 'plain-calls' : 'stream-calls']);
        cpu.get(rung.id)?.[kind].push(await cpuPerCall(() => rung[kind](), calls));
      }
    }
  }
  for (const kind of ['plain', 'stream'] as const) {
    const diff = (a: string, b: string) => {
      const own = cpu.get(a)?.[kind] ?? [];
      const other = cpu.get(b)?.[kind] ?? [];
      const estimate = medianInterval(own.map((value, index) => value - (other[index] ?? 0)));
      return `${a}−${b} ${round(estimate.estimate, 1)} [${estimate.interval.map((value) => round(value, 1)).join(', ')}] µs`;
    };
    console.log(
      `${values.block} per call, ${kind}: ${diff('head', 'base')} | ${diff('base', 'sdk')} | ${diff('head', 'sdk')} | sdk ${round(medianInterval(cpu.get('sdk')?.[kind] ?? []).estimate, 1)} µs`,
    );
  }
}
if (!skip.has('garbage')) {
  const bytes = new Map<string, { plain: number[]; stream: number[] }>(
    all.map((rung) => [rung.id, { plain: [], stream: [] }]),
  );
  for (let index = 0; index < Number(values.garbage); index += 1) {
    for (const kind of ['plain', 'stream'] as const) {
      for (const rung of shuffle([...all], random)) {
        const calls = Number(values[kind === 'plain' ? 'plain-calls' : 'stream-calls']);
        bytes.get(rung.id)?.[kind].push(await allocatedPerCall(() => rung[kind](), calls));
      }
    }
  }
  for (const kind of ['plain', 'stream'] as const) {
    const diff = (a: string, b: string) => {
      const own = bytes.get(a)?.[kind] ?? [];
      const other = bytes.get(b)?.[kind] ?? [];
      const estimate = medianInterval(own.map((value, index) => value - (other[index] ?? 0)));
      return `${a}−${b} ${Math.round(estimate.estimate)} [${estimate.interval.map((value) => Math.round(value)).join(', ')}] B`;
    };
    console.log(
      `garbage ${kind}: ${diff('head', 'base')} | ${diff('base', 'sdk')} | ${diff('head', 'sdk')} | sdk ${round(bytes.get('sdk')?.[kind][0] ?? 0, 0)} B`,
    );
  }
}
for (const rung of all) await (rung as { router?: { close(): Promise<void> } }).router?.close();
await mock.stop();
