/**
 * What the `openai` SDK charges for the per-request options the router passes it. The same
 * plain call at concurrency 1, interleaved in rounds, with: nothing; `maxRetries: 0`;
 * `timeout`; an AbortSignal; all three (what the router passes on every attempt); and the
 * router's own client setup (`fetchOptions: { redirect: 'manual' }`, a logger) with all three.
 * Reports p50 per variant and its paired difference from the bare call.
 */
import { loadOpenAI } from '../lib/modules.ts';
import { median, round, verdict } from '../lib/stats.ts';
import { rotate, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const OpenAI = await loadOpenAI();
const messages = [{ role: 'user' as const, content: 'Say hello in one sentence.' }];
const model = 'gpt-4o-mini';
const base = { apiKey: 'sk-bench-0000', baseURL: `${args.mockUrl}/v1`, maxRetries: 0 };
const plainClient = new OpenAI(base);
const quiet = () => undefined;
const routerLikeClient = new OpenAI({
  ...base,
  organization: null,
  project: null,
  defaultHeaders: {},
  fetchOptions: { redirect: 'manual' },
  logger: { error: quiet, warn: quiet, info: quiet, debug: quiet },
});
const controller = new AbortController();

const variants: [string, () => Promise<unknown>][] = [
  ['bare call', () => plainClient.chat.completions.create({ model, messages })],
  [
    'maxRetries: 0',
    () => plainClient.chat.completions.create({ model, messages }, { maxRetries: 0 }),
  ],
  ['timeout', () => plainClient.chat.completions.create({ model, messages }, { timeout: 31_000 })],
  [
    'signal',
    () => plainClient.chat.completions.create({ model, messages }, { signal: controller.signal }),
  ],
  [
    'signal + timeout + maxRetries (as the router passes)',
    () =>
      plainClient.chat.completions.create(
        { model, messages },
        { signal: controller.signal, timeout: 31_000, maxRetries: 0 },
      ),
  ],
  [
    "the same, on a client built like the router's",
    () =>
      routerLikeClient.chat.completions.create(
        { model, messages },
        { signal: controller.signal, timeout: 31_000, maxRetries: 0 },
      ),
  ],
  [
    'the same, with .withResponse()',
    () =>
      routerLikeClient.chat.completions
        .create({ model, messages }, { signal: controller.signal, timeout: 31_000, maxRetries: 0 })
        .withResponse(),
  ],
];

const rounds = args.quick ? 3 : 7;
const calls = args.quick ? 150 : 1000;
const perRound = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (const [, call] of variants) for (let index = 0; index < 300; index += 1) await call();
for (let roundIndex = 0; roundIndex < rounds; roundIndex += 1) {
  for (const [name, call] of rotate(variants, roundIndex)) {
    const times: number[] = [];
    for (let index = 0; index < calls; index += 1) {
      const start = performance.now();
      await call();
      times.push(performance.now() - start);
    }
    perRound.get(name)?.push(median(times) * 1000);
  }
}
const bare = perRound.get('bare call') ?? [];
writeResult(args.out, {
  rounds,
  calls,
  variants: variants.map(([name]) => {
    const medians = perRound.get(name) ?? [];
    const added = verdict(medians.map((value, index) => value - (bare[index] ?? 0)));
    return {
      name,
      p50Us: round(median(medians), 1),
      addedP50Us: round(added.median, 1),
      addedP50IqrUs: [round(added.q1, 1), round(added.q3, 1)],
    };
  }),
});
