/**
 * `price` on upstreams: the route's `cost` is the serving attempt's usage at its upstream's
 * price (cached prompt tokens at `cachedInput`), for plain calls and streams, in the `onSuccess`
 * state, in the OpenTelemetry call span and in serve's `/metrics`. Real calls through the
 * `openai` SDK against the emulator (and through serve over HTTP).
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createOpenTelemetryTracing } from '../../src/otel/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import type { RouteInfo, SuccessState } from '../../src/router/types.ts';
import { startServeStack } from '../serve/helpers.ts';

const prices = `
  priced:
    gateway: local
    model: model-priced
    price: { input: 2.5, output: 10, cachedInput: 1.25 }
  free: { gateway: local, model: model-free }
`;
const configYaml = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: sk-cost }
upstreams:${prices}
models:
  chat: { targets: [priced, free], retry: { attempts: 1 } }
  unpriced: free
`;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-cost'] });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const table = () => parseConfig(configYaml, { env: { GATEWAY_URL: emulator.url } });
const messages = [{ role: 'user' as const, content: 'what does this cost' }];

/** usage × price, per million tokens, as the docs state it. */
function expected(route: RouteInfo, cachedTokens = 0): number {
  const input = route.usage?.inputTokens ?? 0;
  const output = route.usage?.outputTokens ?? 0;
  return ((input - cachedTokens) * 2.5 + cachedTokens * 1.25 + output * 10) / 1_000_000;
}

describe('cost on the route', () => {
  it('equals usage × price for a plain call, and reaches onSuccess', async () => {
    const seen: SuccessState[] = [];
    const router = createRouter(table(), { env: {}, onSuccess: (state) => seen.push(state) });
    const { route } = await router.chat.completions.create({ model: 'chat', messages }).withRoute();
    expect(route.usage?.inputTokens).toBeGreaterThan(0);
    expect(route.usage?.outputTokens).toBeGreaterThan(0);
    expect(route.cost).toBeCloseTo(expected(route), 15);
    expect(seen[0]?.route.cost).toBe(route.cost);
    await router.close();
  });

  it('charges cached prompt tokens at cachedInput', async () => {
    const router = createRouter(table(), { env: {} });
    // OpenAI reports cached prompt tokens in usage.prompt_tokens_details.cached_tokens
    // (https://platform.openai.com/docs/guides/prompt-caching).
    emulator.inject({
      match: { model: 'model-priced' },
      fault: {
        type: 'status',
        status: 200,
        body: {
          id: 'chatcmpl-cached',
          object: 'chat.completion',
          created: 1,
          model: 'model-priced',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'cached' },
              finish_reason: 'stop',
            },
          ],
          usage: {
            prompt_tokens: 2000,
            completion_tokens: 100,
            total_tokens: 2100,
            prompt_tokens_details: { cached_tokens: 1500 },
          },
        },
      },
    });
    const { route } = await router.chat.completions.create({ model: 'chat', messages }).withRoute();
    expect(route.usage?.cachedInputTokens).toBe(1500);
    expect(route.cost).toBeCloseTo((500 * 2.5 + 1500 * 1.25 + 100 * 10) / 1_000_000, 15);
    await router.close();
  });

  it('is known when a stream ends (with include_usage), from the serving upstream only', async () => {
    const router = createRouter(table(), { env: {} });
    const { data, route } = await router.chat.completions
      .create({ model: 'chat', messages, stream: true, stream_options: { include_usage: true } })
      .withRoute();
    expect(route.cost).toBeUndefined();
    for await (const _ of data) {
      // read to the end
    }
    expect(route.cost).toBeCloseTo(expected(route), 15);
    // Served by the unpriced fallback: no cost.
    emulator.inject({ match: { model: 'model-priced' }, fault: { type: 'status', status: 500 } });
    const fallback = await router.chat.completions.create({ model: 'chat', messages }).withRoute();
    expect(fallback.route.upstream).toBe('free');
    expect(fallback.route.usage).toBeDefined();
    expect(fallback.route.cost).toBeUndefined();
    expect('cost' in fallback.route).toBe(false);
    await router.close();
  });

  it('is an attribute of the OpenTelemetry call span', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const router = createRouter(table(), {
      env: {},
      tracing: createOpenTelemetryTracing({ tracer: provider.getTracer('test') }),
    });
    const { route } = await router.chat.completions.create({ model: 'chat', messages }).withRoute();
    const root = exporter.getFinishedSpans().find((span) => span.parentSpanContext === undefined);
    expect(route.cost).toBeGreaterThan(0);
    expect(root?.attributes['switchyard.cost_usd']).toBe(route.cost);
    await router.close();
    await provider.shutdown();
  });
});

describe("serve's /metrics", () => {
  it('counts USD by alias, plain calls and streams', async () => {
    const stack = await startServeStack({
      yaml: (url) => `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "${url}/v1", apiKey: "\${UPSTREAM_KEY}" }
upstreams:
  priced:
    gateway: local
    model: model-priced
    price: { input: 2.5, output: 10 }
models:
  chat: priced
`,
      handler: { keys: ['client-key'] },
    });
    try {
      const client = new OpenAI({ apiKey: 'client-key', baseURL: stack.baseURL, maxRetries: 0 });
      const plain = await client.chat.completions.create({ model: 'chat', messages });
      const stream = await client.chat.completions.create({
        model: 'chat',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let streamUsage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) streamUsage = chunk.usage ?? streamUsage;
      const usd = (usage: OpenAI.CompletionUsage | undefined) =>
        ((usage?.prompt_tokens ?? 0) * 2.5 + (usage?.completion_tokens ?? 0) * 10) / 1_000_000;
      const text = await (
        await fetch(`${stack.server.url}/metrics`, {
          headers: { authorization: 'Bearer client-key' },
        })
      ).text();
      expect(text).toContain('# TYPE switchyard_serve_cost_usd_total counter');
      const line = text
        .split('\n')
        .find((each) => each.startsWith('switchyard_serve_cost_usd_total{'));
      expect(line).toMatch(/^switchyard_serve_cost_usd_total\{model="chat"\} \S+$/);
      expect(Number(line?.split(' ')[1])).toBeCloseTo(usd(plain.usage) + usd(streamUsage), 12);
    } finally {
      await stack.close();
    }
  });
});
