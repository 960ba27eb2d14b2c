/**
 * What the `openai` SDK charges for the per-request options the router passes it. The same
 * plain call at concurrency 1, interleaved in rounds, with: nothing; `maxRetries: 0`;
 * `timeout`; an AbortSignal; all three (what the router passes on every attempt); and the
 * router's own client setup (`fetchOptions: { redirect: 'manual' }`, a logger) with all three.
 * Interleaved like the overhead suite (one call per variant per sweep, random order, short
 * rounds); reports p50 per variant and its paired difference from the bare call with a
 * sign-test interval.
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

const settings = args.quick
  ? { rounds: 30, sweepsPerRound: 10, warmupSweeps: 100 }
  : { rounds: 150, sweepsPerRound: 20, warmupSweeps: 300 };
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
