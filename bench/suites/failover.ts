/**
 * Failover on a fast failure: the primary answers 503 at once, or refuses the connection; the
 * second target is healthy. Time to the answer (plain) and to the first content chunk (stream)
 * through the fallback, against calling the fallback directly, interleaved, at concurrency 1.
 * Switchyard runs with health memory off (every call pays for the failed attempt) under two
 * policies: fall back at once (`policy: { server: fallback, network: fallback }`), and the
 * default (retry the same target once after a 250 ms backoff, then fall back). Peers: Portkey
 * (fallback strategy), AI SDK + ai-fallback, LangChain `withFallbacks`, each against its own
 * direct call.
 */
import { createRouter, parseConfig, type Router } from '../../src/index.ts';
import { benchEnv, ladderConfigYaml } from '../lib/config-fixture.ts';
import { messages, timeStream } from '../lib/ladder.ts';
import { importBenchPackage, loadOpenAI } from '../lib/modules.ts';
import { median, round, summarize } from '../lib/stats.ts';
import { collectWarnings, rotate, suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const warnings = collectWarnings();
const model = 'gpt-4o-mini';
const { mockUrl, refusedUrl } = args;

type Call = () => Promise<void>;
type Case = {
  id: string;
  label: string;
  failure: '503' | 'refused';
  /** The call whose primary fails. */
  failing: { plain: Call; stream: Call };
  /** The same call straight to the healthy target. */
  direct: { plain: Call; stream: Call };
  /** Calls per round (slow cases get fewer). */
  calls: number;
};

const quick = args.quick;
const fastCalls = quick ? 40 : 100;
const slowCalls = quick ? 3 : 5;
const rounds = quick ? 2 : 3;

const streamed = async (open: () => Promise<AsyncIterable<string | undefined>>) => {
  const timing = await timeStream(performance.now(), await open());
  if (timing.contentChunks === 0) throw new Error('no content');
};
async function* contents(
  stream: AsyncIterable<{ choices: { delta?: { content?: string | null } }[] }>,
): AsyncGenerator<string | undefined> {
  for await (const chunk of stream) yield chunk.choices[0]?.delta?.content ?? undefined;
}

const table = parseConfig(ladderConfigYaml({ mockUrl, refusedUrl }), { env: benchEnv });
const router: Router = createRouter(table, { health: false });
const routerCall = (alias: string) => ({
  plain: async () => {
    await router.chat.completions.create({ model: alias, messages });
  },
  stream: () =>
    streamed(async () =>
      contents(await router.chat.completions.create({ model: alias, messages, stream: true })),
    ),
});

const OpenAI = await loadOpenAI();
const sdkCall = (client: InstanceType<typeof OpenAI>) => ({
  plain: async () => {
    await client.chat.completions.create({ model, messages });
  },
  stream: () =>
    streamed(async () =>
      contents(await client.chat.completions.create({ model, messages, stream: true })),
    ),
});
const directSdk = sdkCall(
  new OpenAI({ apiKey: benchEnv.BENCH_API_KEY, baseURL: `${mockUrl}/v1`, maxRetries: 0 }),
);

const cases: Case[] = [];
const problems: Record<string, string> = {};
for (const failure of ['503', 'refused'] as const) {
  cases.push({
    id: `switchyard-${failure}`,
    label: 'Switchyard (policy: fall back at once)',
    failure,
    failing: routerCall(`failover-${failure}`),
    direct: directSdk,
    calls: fastCalls,
  });
  cases.push({
    id: `switchyard-default-${failure}`,
    label: 'Switchyard (default policy: 1 retry after backoff)',
    failure,
    failing: routerCall(`failover-${failure}-default`),
    direct: directSdk,
    calls: slowCalls,
  });
}

const badBase = (failure: '503' | 'refused') =>
  failure === '503' ? `${mockUrl}/fail503/v1` : `${refusedUrl}/v1`;

if (args.portkeyUrl !== undefined) {
  const portkeyUrl = args.portkeyUrl;
  const target = (base: string) => ({
    provider: 'openai',
    api_key: benchEnv.BENCH_API_KEY,
    custom_host: base,
  });
  const client = (config: object) =>
    new OpenAI({
      apiKey: benchEnv.BENCH_API_KEY,
      baseURL: `${portkeyUrl}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify(config) },
    });
  for (const failure of ['503', 'refused'] as const) {
    cases.push({
      id: `portkey-${failure}`,
      label: 'Portkey gateway (fallback strategy)',
      failure,
      failing: sdkCall(
        client({
          strategy: { mode: 'fallback' },
          targets: [target(badBase(failure)), target(`${mockUrl}/v1`)],
        }),
      ),
      direct: sdkCall(client(target(`${mockUrl}/v1`))),
      calls: Math.ceil(fastCalls / 3),
    });
  }
}

type AiSdk = {
  generateText(options: object): Promise<{ text: string }>;
  streamText(options: object): { textStream: AsyncIterable<string> };
};
type Provider = { chat(model: string): object };
try {
  const ai = await importBenchPackage<AiSdk>('ai');
  const { createOpenAI } = await importBenchPackage<{
    createOpenAI(options: { baseURL: string; apiKey: string }): Provider;
  }>('@ai-sdk/openai');
  const { createFallback } = await importBenchPackage<{
    createFallback(options: { models: object[] }): object;
  }>('ai-fallback');
  const providerAt = (baseURL: string) => createOpenAI({ baseURL, apiKey: benchEnv.BENCH_API_KEY });
  const aiCall = (languageModel: () => object) => ({
    plain: async () => {
      await ai.generateText({ model: languageModel(), messages, maxRetries: 0 });
    },
    stream: async () => {
      let failure: unknown;
      await streamed(
        async () =>
          ai.streamText({
            model: languageModel(),
            messages,
            maxRetries: 0,
            onError: ({ error }: { error: unknown }) => {
              failure = error;
            },
          }).textStream,
      ).catch((error: unknown) => {
        failure ??= error;
      });
      if (failure !== undefined) throw failure;
    },
  });
  const good = providerAt(`${mockUrl}/v1`).chat(model);
  for (const failure of ['503', 'refused'] as const) {
    const bad = providerAt(badBase(failure)).chat(model);
    // ai-fallback remembers a failed model and starts later calls at the next one; a fresh
    // fallback model per call makes every call pay for the failed attempt, as Switchyard's does.
    cases.push({
      id: `ai-fallback-${failure}`,
      label: 'AI SDK + ai-fallback',
      failure,
      failing: aiCall(() => createFallback({ models: [bad, good] })),
      direct: aiCall(() => good),
      calls: fastCalls,
    });
  }
} catch (error) {
  problems['ai-fallback'] = String(error);
}

type ChatModel = {
  invoke(input: typeof messages): Promise<unknown>;
  stream(input: typeof messages): Promise<AsyncIterable<{ content: unknown }>>;
  withFallbacks(fallbacks: ChatModel[]): ChatModel;
};
try {
  const { ChatOpenAI } = await importBenchPackage<{
    ChatOpenAI: new (fields: object) => ChatModel;
  }>('@langchain/openai');
  const chatAt = (baseURL: string) =>
    new ChatOpenAI({
      model,
      apiKey: benchEnv.BENCH_API_KEY,
      maxRetries: 0,
      configuration: { baseURL },
    });
  const langChainCall = (chat: ChatModel) => ({
    plain: async () => {
      await chat.invoke(messages);
    },
    stream: () =>
      streamed(async () => {
        const stream = await chat.stream(messages);
        return (async function* () {
          for await (const chunk of stream)
            yield typeof chunk.content === 'string' ? chunk.content : undefined;
        })();
      }),
  });
  const good = chatAt(`${mockUrl}/v1`);
  for (const failure of ['503', 'refused'] as const) {
    cases.push({
      id: `langchain-${failure}`,
      label: 'LangChain withFallbacks',
      failure,
      failing: langChainCall(chatAt(badBase(failure)).withFallbacks([good])),
      direct: langChainCall(good),
      calls: fastCalls,
    });
  }
} catch (error) {
  problems['langchain'] = String(error);
}

type Series = { failing: number[][]; direct: number[][]; errors: number; firstError?: string };
const series = new Map<string, Series>();
const key = (id: string, mode: string) => `${id}/${mode}`;

async function measure(entry: Case, mode: 'plain' | 'stream', record: boolean) {
  const target = series.get(key(entry.id, mode)) ?? { failing: [], direct: [], errors: 0 };
  series.set(key(entry.id, mode), target);
  const failing: number[] = [];
  const direct: number[] = [];
  for (let index = 0; index < entry.calls; index += 1) {
    for (const [call, into] of [
      [entry.failing[mode], failing],
      [entry.direct[mode], direct],
    ] as const) {
      const start = performance.now();
      try {
        await call();
        into.push(performance.now() - start);
      } catch (error) {
        target.errors += 1;
        target.firstError ??=
          error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  }
  if (record) {
    target.failing.push(failing);
    target.direct.push(direct);
  }
}

const started = performance.now();
for (const entry of cases) {
  await measure({ ...entry, calls: Math.min(entry.calls, 20) }, 'plain', false);
  await measure({ ...entry, calls: Math.min(entry.calls, 10) }, 'stream', false);
}
for (let roundIndex = 0; roundIndex < rounds; roundIndex += 1) {
  for (const entry of rotate(cases, roundIndex)) {
    await measure(entry, 'plain', true);
    await measure(entry, 'stream', true);
  }
}

const figures = (entry: Case, mode: 'plain' | 'stream') => {
  const data = series.get(key(entry.id, mode)) as Series;
  const failing = summarize(data.failing.flat());
  const direct = summarize(data.direct.flat());
  const paired = data.failing.map(
    (values, index) => median(values) - median(data.direct[index] ?? []),
  );
  return {
    n: failing.n,
    viaFallbackP50Ms: round(failing.p50, 3),
    viaFallbackP99Ms: round(failing.p99, 3),
    directP50Ms: round(direct.p50, 3),
    addedP50Ms: round(median(paired), 3),
    errors: data.errors,
    ...(data.firstError === undefined ? {} : { firstError: data.firstError }),
  };
};

await router.close();
writeResult(args.out, {
  settings: { rounds, fastCalls, slowCalls },
  durationS: round((performance.now() - started) / 1000, 1),
  problems,
  warnings,
  cases: cases.map((entry) => ({
    id: entry.id,
    label: entry.label,
    failure: entry.failure,
    plain: figures(entry, 'plain'),
    stream: figures(entry, 'stream'),
  })),
});
