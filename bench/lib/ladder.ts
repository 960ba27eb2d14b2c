/**
 * The client ladder: every way of making the same chat completion against the same mock, each
 * behind one interface (`plain()` and `stream()`), so suites can interleave them.
 *
 * Baselines: L0 `undici.request`, L1 global `fetch`, L2 the `openai` SDK (maxRetries 0), the
 * A/A control (a second, identical SDK client) and a minimal wrapper (alias map, cached client).
 * Switchyard: L3 one target, L4 a three-deep chain with a healthy primary, L5 the same chain
 * with every feature on (all hooks, health memory, the attempt log read through `withRoute()`).
 * Peers: Portkey's gateway (SDK → gateway → mock; one target and a three-deep fallback config),
 * the Vercel AI SDK (`@ai-sdk/openai`, alone and with `ai-fallback`), LangChain.js
 * (`ChatOpenAI`, alone and `withFallbacks`).
 */
import { createRouter, parseConfig, type Router } from '../../src/index.ts';
import { benchEnv, ladderConfigYaml } from './config-fixture.ts';
import { importBenchPackage, loadOpenAI } from './modules.ts';

/** What one streamed call saw, in ms from the call. */
export type StreamTiming = {
  /** Time to the first content chunk. */
  readonly ttftMs: number;
  /** Gaps between consecutive content chunks. */
  readonly gapsMs: number[];
  /** Content chunks received. */
  readonly contentChunks: number;
};

/** One rung. */
export type Rung = {
  readonly id: string;
  readonly label: string;
  readonly group: 'baseline' | 'switchyard' | 'peer';
  /** The rung its added latency is measured against. */
  readonly baseline: string;
  plain(): Promise<void>;
  stream(): Promise<StreamTiming>;
  close?(): Promise<void>;
};

export const messages = [{ role: 'user' as const, content: 'Say hello in one sentence.' }];
const model = 'gpt-4o-mini';

/** Times a stream of content pieces (anything with a non-empty text). */
export async function timeStream(
  start: number,
  pieces: AsyncIterable<string | undefined>,
): Promise<StreamTiming> {
  let ttftMs = -1;
  let last = 0;
  const gapsMs: number[] = [];
  let contentChunks = 0;
  for await (const piece of pieces) {
    if (piece === undefined || piece === '') continue;
    const now = performance.now();
    if (contentChunks === 0) ttftMs = now - start;
    else gapsMs.push(now - last);
    last = now;
    contentChunks += 1;
  }
  return { ttftMs, gapsMs, contentChunks };
}

/** Content texts of an OpenAI SSE byte stream, parsed by hand (for the raw HTTP rungs). */
async function* sseContents(body: AsyncIterable<Uint8Array>): AsyncGenerator<string | undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const data = JSON.parse(event.slice(6)) as {
        choices: { delta?: { content?: string } }[];
      };
      yield data.choices[0]?.delta?.content;
    }
  }
}

/** Minimal shapes of the peers' APIs used here. */
type Undici = {
  request(
    url: string,
    options: { method: string; headers: Record<string, string>; body: string },
  ): Promise<{
    statusCode: number;
    body: AsyncIterable<Uint8Array> & { json(): Promise<unknown> };
  }>;
};
type LanguageModel = object;
type AiSdk = {
  generateText(options: {
    model: LanguageModel;
    messages: typeof messages;
    maxRetries: number;
  }): Promise<{ text: string }>;
  streamText(options: {
    model: LanguageModel;
    messages: typeof messages;
    maxRetries: number;
    onError?: (event: { error: unknown }) => void;
  }): { textStream: AsyncIterable<string> };
};
type AiSdkOpenAI = {
  createOpenAI(options: { baseURL: string; apiKey: string }): {
    chat(model: string): LanguageModel;
  };
};
type AiFallback = { createFallback(options: { models: LanguageModel[] }): LanguageModel };
type ChatModel = {
  invoke(input: typeof messages): Promise<{ content: unknown }>;
  stream(input: typeof messages): Promise<AsyncIterable<{ content: unknown }>>;
  withFallbacks(fallbacks: ChatModel[]): ChatModel;
};
type LangChainOpenAI = {
  ChatOpenAI: new (fields: {
    model: string;
    apiKey: string;
    maxRetries: number;
    configuration: { baseURL: string };
  }) => ChatModel;
};

/** Where the rungs point. */
export type LadderOptions = {
  mockUrl: string;
  /** A loopback URL where nothing listens (connection refused). */
  refusedUrl: string;
  /** Portkey's gateway, when it runs. */
  portkeyUrl?: string | undefined;
  /** Rung ids to build (default: all that can be built). */
  only?: readonly string[];
  /**
   * The `fetch` of the SDK rungs and the routers (default: the global one, over HTTP to the
   * mock); an in-process one isolates their own CPU and allocations (see `stub-fetch.ts`).
   * Only those rungs are built with it.
   */
  fetch?: typeof fetch;
};

/**
 * The ladder's own rungs: the SDK, its A/A control, the minimal wrapper and Switchyard's three.
 * They are also the rungs that take {@link LadderOptions.fetch}.
 */
export const ownRungIds = [
  'sdk',
  'sdk-control',
  'wrapper',
  'router-one',
  'router-chain',
  'router-full',
] as const;
const fetchRungs = new Set<string>(ownRungIds);

/** Peers that could not be set up, with the error. */
export type LadderProblems = Record<string, string>;

/** Builds the ladder. Rungs whose peer cannot load are left out and listed in `problems`. */
export async function buildLadder(
  options: LadderOptions,
): Promise<{ rungs: Rung[]; problems: LadderProblems; routers: Record<string, Router> }> {
  const { mockUrl } = options;
  const url = `${mockUrl}/v1/chat/completions`;
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${benchEnv.BENCH_API_KEY}`,
  };
  const plainBody = JSON.stringify({ model, messages });
  const streamBody = JSON.stringify({ model, messages, stream: true });
  const wanted = (id: string) =>
    (options.fetch === undefined || fetchRungs.has(id)) &&
    (options.only === undefined || options.only.includes(id));
  const rungs: Rung[] = [];
  const problems: LadderProblems = {};
  const routers: Record<string, Router> = {};

  const add = async (id: string, build: () => Promise<Omit<Rung, 'id'>>) => {
    if (!wanted(id)) return;
    try {
      rungs.push({ id, ...(await build()) });
    } catch (error) {
      problems[id] = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  };

  await add('undici', async () => {
    const undici = await importBenchPackage<Undici>('undici');
    return {
      label: 'undici.request',
      group: 'baseline',
      baseline: 'undici',
      async plain() {
        const response = await undici.request(url, { method: 'POST', headers, body: plainBody });
        await response.body.json();
        if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
      },
      async stream() {
        const start = performance.now();
        const response = await undici.request(url, { method: 'POST', headers, body: streamBody });
        return timeStream(start, sseContents(response.body));
      },
    };
  });

  await add('fetch', async () => ({
    label: 'fetch',
    group: 'baseline',
    baseline: 'fetch',
    async plain() {
      const response = await fetch(url, { method: 'POST', headers, body: plainBody });
      await response.json();
      if (!response.ok) throw new Error(`status ${response.status}`);
    },
    async stream() {
      const start = performance.now();
      const response = await fetch(url, { method: 'POST', headers, body: streamBody });
      if (response.body === null) throw new Error('no body');
      return timeStream(start, sseContents(response.body));
    },
  }));

  const OpenAI = await loadOpenAI();
  const fetchOption = options.fetch === undefined ? {} : { fetch: options.fetch };
  const sdkOptions = { apiKey: benchEnv.BENCH_API_KEY, maxRetries: 0, ...fetchOption };
  const sdkRung = (
    client: InstanceType<typeof OpenAI>,
    fields: Pick<Rung, 'label' | 'group' | 'baseline'>,
  ): Omit<Rung, 'id'> => ({
    ...fields,
    async plain() {
      await client.chat.completions.create({ model, messages });
    },
    async stream() {
      const start = performance.now();
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      return timeStream(start, contents(stream));
    },
  });

  await add('sdk', async () =>
    sdkRung(new OpenAI({ ...sdkOptions, baseURL: `${mockUrl}/v1` }), {
      label: 'openai SDK',
      group: 'baseline',
      baseline: 'sdk',
    }),
  );

  // The A/A control: a second, identical SDK client. Its reading against the first one is what
  // the method cannot tell apart from zero (order, position, machine noise).
  await add('sdk-control', async () =>
    sdkRung(new OpenAI({ ...sdkOptions, baseURL: `${mockUrl}/v1` }), {
      label: 'openai SDK, A/A control',
      group: 'baseline',
      baseline: 'sdk',
    }),
  );

  // What any wrapper pays: an alias looked up in a map, a client cached per target, the body
  // rebuilt with the target's model. Nothing else (no deadline, no attempt log, no fallback).
  await add('wrapper', async () => {
    const targets = new Map([['one', { baseURL: `${mockUrl}/v1`, model }]]);
    const clients = new Map<string, InstanceType<typeof OpenAI>>();
    const clientFor = (alias: string) => {
      const target = targets.get(alias);
      if (target === undefined) throw new Error(`unknown alias ${alias}`);
      let client = clients.get(alias);
      if (client === undefined) {
        client = new OpenAI({ ...sdkOptions, baseURL: target.baseURL });
        clients.set(alias, client);
      }
      return { client, model: target.model };
    };
    return {
      label: 'minimal wrapper (cached client)',
      group: 'baseline',
      baseline: 'sdk',
      async plain() {
        const body = { model: 'one', messages };
        const { client, model: targetModel } = clientFor(body.model);
        await client.chat.completions.create({ ...body, model: targetModel });
      },
      async stream() {
        const start = performance.now();
        const body = { model: 'one', messages, stream: true as const };
        const { client, model: targetModel } = clientFor(body.model);
        const stream = await client.chat.completions.create({ ...body, model: targetModel });
        return timeStream(start, contents(stream));
      },
    };
  });

  const table = parseConfig(ladderConfigYaml(options), { env: benchEnv });
  const routerRung = (
    router: Router,
    alias: string,
    fields: Pick<Rung, 'label'>,
    withRoute: boolean,
  ): Omit<Rung, 'id'> => ({
    ...fields,
    group: 'switchyard',
    baseline: 'sdk',
    async plain() {
      const call = router.chat.completions.create({ model: alias, messages });
      if (withRoute) {
        const { route } = await call.withRoute();
        if (route.attempts.length === 0) throw new Error('no attempt log');
      } else {
        await call;
      }
    },
    async stream() {
      const start = performance.now();
      const call = router.chat.completions.create({ model: alias, messages, stream: true });
      const stream = withRoute ? (await call.withRoute()).data : await call;
      return timeStream(start, contents(stream));
    },
    close: () => router.close(),
  });

  await add('router-one', async () => {
    routers['router-one'] = createRouter(table, { health: false, ...fetchOption });
    return routerRung(routers['router-one'], 'one', { label: 'Switchyard, 1 target' }, false);
  });
  await add('router-chain', async () => {
    routers['router-chain'] = createRouter(table, { health: false, ...fetchOption });
    return routerRung(
      routers['router-chain'],
      'chain3',
      { label: 'Switchyard, 3-deep chain' },
      false,
    );
  });
  await add('router-full', async () => {
    const seen = { attempts: 0, retries: 0, fallbacks: 0, successes: 0, failures: 0 };
    routers['router-full'] = createRouter(table, {
      ...fetchOption,
      health: {},
      onAttempt: () => {
        seen.attempts += 1;
      },
      onRetry: () => {
        seen.retries += 1;
      },
      onFallback: () => {
        seen.fallbacks += 1;
      },
      onSuccess: () => {
        seen.successes += 1;
      },
      onFailure: () => {
        seen.failures += 1;
      },
    });
    return routerRung(
      routers['router-full'],
      'chain3',
      { label: 'Switchyard, chain + all features' },
      true,
    );
  });

  if (options.portkeyUrl !== undefined) {
    const portkeyUrl = options.portkeyUrl;
    const target = {
      provider: 'openai',
      api_key: benchEnv.BENCH_API_KEY,
      custom_host: `${mockUrl}/v1`,
    };
    const portkeyClient = (config: object) =>
      new OpenAI({
        apiKey: benchEnv.BENCH_API_KEY,
        baseURL: `${portkeyUrl}/v1`,
        maxRetries: 0,
        defaultHeaders: { 'x-portkey-config': JSON.stringify(config) },
      });
    await add('portkey-one', async () =>
      sdkRung(portkeyClient(target), {
        label: 'Portkey gateway, 1 target',
        group: 'peer',
        baseline: 'sdk',
      }),
    );
    await add('portkey-chain', async () =>
      sdkRung(
        portkeyClient({ strategy: { mode: 'fallback' }, targets: [target, target, target] }),
        { label: 'Portkey gateway, 3-deep fallback', group: 'peer', baseline: 'sdk' },
      ),
    );
  }

  const aiRung = async (chain: boolean): Promise<Omit<Rung, 'id'>> => {
    const ai = await importBenchPackage<AiSdk>('ai');
    const provider = (await importBenchPackage<AiSdkOpenAI>('@ai-sdk/openai')).createOpenAI({
      baseURL: `${mockUrl}/v1`,
      apiKey: benchEnv.BENCH_API_KEY,
    });
    let languageModel = provider.chat(model);
    if (chain) {
      const { createFallback } = await importBenchPackage<AiFallback>('ai-fallback');
      languageModel = createFallback({
        models: [provider.chat(model), provider.chat(model), provider.chat(model)],
      });
    }
    return {
      label: chain ? 'AI SDK + ai-fallback, 3-deep' : 'AI SDK (@ai-sdk/openai)',
      group: 'peer',
      baseline: 'sdk',
      async plain() {
        const result = await ai.generateText({ model: languageModel, messages, maxRetries: 0 });
        if (result.text === '') throw new Error('empty answer');
      },
      async stream() {
        const start = performance.now();
        let failure: unknown;
        const result = ai.streamText({
          model: languageModel,
          messages,
          maxRetries: 0,
          onError: ({ error }) => {
            failure = error;
          },
        });
        const timing = await timeStream(start, result.textStream);
        if (failure !== undefined) throw failure;
        return timing;
      },
    };
  };
  await add('ai-sdk', () => aiRung(false));
  await add('ai-fallback', () => aiRung(true));

  const langChainRung = async (chain: boolean): Promise<Omit<Rung, 'id'>> => {
    const { ChatOpenAI } = await importBenchPackage<LangChainOpenAI>('@langchain/openai');
    const create = () =>
      new ChatOpenAI({
        model,
        apiKey: benchEnv.BENCH_API_KEY,
        maxRetries: 0,
        configuration: { baseURL: `${mockUrl}/v1` },
      });
    const chat = chain ? create().withFallbacks([create(), create()]) : create();
    return {
      label: chain ? 'LangChain withFallbacks, 3-deep' : 'LangChain ChatOpenAI',
      group: 'peer',
      baseline: 'sdk',
      async plain() {
        const result = await chat.invoke(messages);
        if (typeof result.content !== 'string' || result.content === '')
          throw new Error('empty answer');
      },
      async stream() {
        const start = performance.now();
        const stream = await chat.stream(messages);
        return timeStream(start, langChainContents(stream));
      },
    };
  };
  await add('langchain', () => langChainRung(false));
  await add('langchain-fallbacks', () => langChainRung(true));

  return { rungs, problems, routers };
}

async function* contents(
  stream: AsyncIterable<{ choices: { delta?: { content?: string | null } }[] }>,
): AsyncGenerator<string | undefined> {
  for await (const chunk of stream) yield chunk.choices[0]?.delta?.content ?? undefined;
}

async function* langChainContents(
  stream: AsyncIterable<{ content: unknown }>,
): AsyncGenerator<string | undefined> {
  for await (const chunk of stream)
    yield typeof chunk.content === 'string' ? chunk.content : undefined;
}
