/**
 * What the `openai` SDK charges for the per-request options the router passes it. The same
 * plain call at concurrency 1, interleaved in rounds, with: nothing; a per-request AbortSignal
 * (which the SDK composes with its own on every request, so the router does not pass one);
 * `fetchOptions` carrying the call's signal under a symbol key, on a client whose `fetch` hands
 * that signal to the real `fetch` (what the router passes on every attempt); the same on a
 * client built like the router's (`fetchOptions: { redirect: 'manual' }`, a logger, a long
 * client timeout); and that with `.withResponse()`. Interleaved like the overhead suite (one
 * call per variant per sweep, random order, short rounds, a warm-up long enough for V8 to
 * optimize every variant's path); reports p50 per variant and its paired difference from the
 * bare call with a sign-test interval.
 */
import {
  interleave,
  pairedMedianDifference,
  type Samples,
  toMicroseconds,
} from '../lib/interleave.ts';
import { loadOpenAI } from '../lib/modules.ts';
import { median, round, seededRandom } from '../lib/stats.ts';
import { suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const OpenAI = await loadOpenAI();
const messages = [{ role: 'user' as const, content: 'Say hello in one sentence.' }];
const model = 'gpt-4o-mini';
const base = { apiKey: 'sk-bench-0000', baseURL: `${args.mockUrl}/v1`, maxRetries: 0 };
const plainClient = new OpenAI(base);
const quiet = () => undefined;
/** Where a request carries its call's signal in `fetchOptions` (the router's own key is private). */
const signalKey = Symbol('call signal');
/** A `fetch` that gives the request the signal it carries, as the router's does. */
const signalFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const options = init as (RequestInit & { [signalKey]?: AbortSignal }) | undefined;
  const signal = options?.[signalKey];
  if (options !== undefined && signal !== undefined) options.signal = signal;
  return fetch(input, init);
};
const signalClient = new OpenAI({ ...base, fetch: signalFetch });
const routerLikeClient = new OpenAI({
  ...base,
  organization: null,
  project: null,
  defaultHeaders: {},
  timeout: 86_460_000,
  fetchOptions: { redirect: 'manual' },
  logger: { error: quiet, warn: quiet, info: quiet, debug: quiet },
  fetch: signalFetch,
});
// A fresh controller per call, as the router makes one per call: with one shared signal, every
// request's abort listener piles up on it until the requests are collected, and the variants
// would time that pile (+73 µs for a per-request signal in one run) rather than the option.
const routerOptions = () => ({
  fetchOptions: { [signalKey]: new AbortController().signal } as Record<string, never>,
});

const variants: [string, () => Promise<unknown>][] = [
  ['bare call', () => plainClient.chat.completions.create({ model, messages })],
  [
    'a per-request signal (the router passes none)',
    () =>
      plainClient.chat.completions.create(
        { model, messages },
        { signal: new AbortController().signal },
      ),
  ],
  [
    "the call's signal in fetchOptions, given to fetch below the SDK (as the router passes)",
    () => signalClient.chat.completions.create({ model, messages }, routerOptions()),
  ],
  [
    "the same, on a client built like the router's",
    () => routerLikeClient.chat.completions.create({ model, messages }, routerOptions()),
  ],
  [
    'the same, with .withResponse()',
    () =>
      routerLikeClient.chat.completions.create({ model, messages }, routerOptions()).withResponse(),
  ],
];

const settings = args.quick
  ? { rounds: 30, sweepsPerRound: 10, warmupSweeps: 500 }
  : { rounds: 150, sweepsPerRound: 20, warmupSweeps: 3000 };
const samples = await interleave(
  variants.map(([name, call]) => ({
    id: name,
    async call() {
      const start = performance.now();
      await call();
      return performance.now() - start;
    },
  })),
  settings,
  seededRandom(args.seed),
);
const bare = samples.get('bare call') as Samples;
writeResult(args.out, {
  ...settings,
  seed: args.seed,
  variants: variants.map(([name]) => {
    const series = samples.get(name) as Samples;
    return {
      name,
      p50Us: round(median(series.rounds.flat()) * 1000, 1),
      ...(name === 'bare call'
        ? {}
        : { addedP50: toMicroseconds(pairedMedianDifference(series, bare)) }),
      errors: series.errors,
    };
  }),
});
