/**
 * `switchyard-ai/otel` with the real OpenTelemetry SDK and an in-memory exporter: a call that
 * retried and fell back exports one call span and one child span per attempt, after the GenAI
 * semantic conventions (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/),
 * with no secret and no prompt text unless asked; with no tracer provider registered, the
 * router records nothing.
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createOpenTelemetryTracing } from '../../src/otel/index.ts';
import { createRouter } from '../../src/router/create-router.ts';

const token = 'cf-otel-secret-token-9Q';
const localKey = 'sk-otel-local-secret-4K';
const prompt = 'the secret recipe is forty-two';

const configYaml = `
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: \${GATEWAY_URL}
    auth: { token: "\${TOKEN}", keys: stored }
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: "\${LOCAL_KEY}" }
upstreams:
  primary: { gateway: edge, model: openai/primary-model }
  backup: { gateway: local, model: backup-model }
models:
  chat:
    targets: [primary, backup]
    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 1ms }
  answers: backup
`;

let emulator: Emulator;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: { gateways: { 'acct/gw': { token, storedKeys: ['openai'] } } },
    apiKeys: [localKey],
  });
});
afterAll(async () => {
  await provider.shutdown();
  await emulator?.close();
});
beforeEach(() => {
  exporter.reset();
  emulator.clearFaults();
  emulator.clearRequests();
});

function tracedRouter(options: { captureContent?: boolean } = {}) {
  const table = parseConfig(configYaml, {
    env: { GATEWAY_URL: emulator.url, TOKEN: token, LOCAL_KEY: localKey },
  });
  return createRouter(table, {
    env: {},
    health: false,
    tracing: createOpenTelemetryTracing({ tracer: provider.getTracer('test'), ...options }),
  });
}

const ask = {
  model: 'chat',
  max_tokens: 64,
  temperature: 0.5,
  messages: [{ role: 'user' as const, content: prompt }],
};

/** The call span (no parent) and its children in start order. */
function tree(spans: readonly ReadableSpan[]) {
  const root = spans.find((span) => span.parentSpanContext === undefined);
  if (root === undefined) throw new Error('no call span');
  const children = spans
    .filter((span) => span.parentSpanContext?.spanId === root.spanContext().spanId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  return { root, children };
}

describe('a call that retried and fell back', () => {
  it('exports a call span and one child span per attempt, with GenAI and router attributes', async () => {
    const router = tracedRouter();
    emulator.inject({
      match: { model: 'openai/primary-model' },
      fault: { type: 'status', status: 503 },
    });
    const { data } = await router.chat.completions
      .create(ask, { context: { requestId: 'req-42' } })
      .withRoute();
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(4);
    const { root, children } = tree(spans);

    expect(root.name).toBe('chat chat');
    expect(root.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chat',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.response.model': data.model,
      'gen_ai.response.id': data.id,
      'gen_ai.usage.input_tokens': data.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': data.usage?.completion_tokens,
      'gen_ai.response.finish_reasons': ['stop'],
      'switchyard.alias': 'chat',
      'switchyard.upstream': 'backup',
      'switchyard.gateway': 'local',
      'switchyard.attempts': 3,
      'switchyard.context.requestId': 'req-42',
    });

    expect(children.map((span) => span.name)).toEqual([
      'chat openai/primary-model',
      'chat openai/primary-model',
      'chat backup-model',
    ]);
    expect(children.map((span) => span.attributes['switchyard.decision'])).toEqual([
      'retry',
      'fallback',
      'success',
    ]);
    const [first, second, third] = children;
    expect(first?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'openai/primary-model',
      'switchyard.upstream': 'primary',
      'switchyard.gateway': 'edge',
      'switchyard.gateway.type': 'cloudflare',
      'switchyard.attempt': 1,
      'switchyard.error_class': 'server',
      'error.type': 'server',
      'http.response.status_code': 503,
      'server.address': '127.0.0.1',
    });
    expect(typeof first?.attributes['switchyard.wait_ms']).toBe('number');
    expect(second?.attributes['switchyard.attempt']).toBe(2);
    expect(first?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(third?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai-compatible',
      'switchyard.target_index': 1,
      'gen_ai.response.model': data.model,
      'gen_ai.usage.output_tokens': data.usage?.completion_tokens,
    });
    expect(third?.status.code).not.toBe(2);
    // Children sit within the call span.
    for (const child of children) expect(child.kind).toBe(2); // SpanKind.CLIENT

    const everything = JSON.stringify(
      spans.map((span) => [span.name, span.attributes, span.status]),
    );
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(localKey);
    expect(everything).not.toContain('forty-two');
  });

  it('records prompts and answers only when captureContent is on', async () => {
    const router = tracedRouter({ captureContent: true });
    const { data } = await router.chat.completions.create(ask).withRoute();
    const { root } = tree(exporter.getFinishedSpans());
    expect(String(root.attributes['gen_ai.input.messages'])).toContain('forty-two');
    expect(String(root.attributes['gen_ai.output.messages'])).toContain(
      String(data.choices[0]?.message.content),
    );
    expect(JSON.stringify(root.attributes)).not.toContain(token);
  });

  it('marks a failed call as an error, with its code', async () => {
    const router = tracedRouter();
    emulator.inject({ fault: { type: 'status', status: 500 } });
    await expect(router.chat.completions.create(ask)).rejects.toThrow();
    const { root, children } = tree(exporter.getFinishedSpans());
    expect(children).toHaveLength(4);
    expect(root.status.code).toBe(2);
    expect(root.attributes['error.type']).toBe('ALL_TARGETS_FAILED');
  });
});

describe('streams', () => {
  it('end the call span when the stream ends, with usage and the answer model', async () => {
    const router = tracedRouter();
    const stream = await router.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(
      exporter.getFinishedSpans().filter((span) => span.parentSpanContext === undefined),
    ).toEqual([]);
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    const { root, children } = tree(exporter.getFinishedSpans());
    expect(root.attributes['switchyard.stream']).toBe(true);
    expect(root.attributes['gen_ai.usage.output_tokens']).toBe(usage?.completion_tokens);
    expect(children.map((span) => span.attributes['switchyard.decision'])).toEqual(['success']);
  });
});

describe('the Responses API', () => {
  it('is traced as a chat call: usage, response id and status, plain and streamed', async () => {
    const router = tracedRouter();
    const data = await router.responses.create({ model: 'answers', input: 'one two' });
    const plain = tree(exporter.getFinishedSpans()).root;
    expect(plain.name).toBe('chat answers');
    expect(plain.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.response.id': data.id,
      'gen_ai.usage.input_tokens': data.usage?.input_tokens,
      'gen_ai.usage.output_tokens': data.usage?.output_tokens,
      'gen_ai.response.finish_reasons': ['completed'],
      'switchyard.upstream': 'backup',
    });

    exporter.reset();
    const stream = await router.responses.create({
      model: 'answers',
      input: 'three four',
      stream: true,
    });
    let outputTokens: number | undefined;
    for await (const event of stream) {
      if (event.type === 'response.completed') outputTokens = event.response.usage?.output_tokens;
    }
    const streamed = tree(exporter.getFinishedSpans()).root;
    expect(streamed.attributes['switchyard.stream']).toBe(true);
    expect(outputTokens).toBeGreaterThan(0);
    expect(streamed.attributes['gen_ai.usage.output_tokens']).toBe(outputTokens);
    expect(streamed.attributes['gen_ai.response.finish_reasons']).toEqual(['completed']);
  });
});

describe('without a registered tracer provider', () => {
  it('records nothing: the default tracer does not record, and the router skips the work', async () => {
    const tracing = createOpenTelemetryTracing();
    expect(
      tracing.startCall({ operation: 'chat', model: 'chat', stream: false, params: {} }),
    ).toBeUndefined();
    // With the global provider registered, the same default tracer records.
    trace.setGlobalTracerProvider(provider);
    try {
      expect(
        createOpenTelemetryTracing().startCall({
          operation: 'chat',
          model: 'chat',
          stream: false,
          params: {},
        }),
      ).toBeDefined();
    } finally {
      trace.disable();
    }
  });
});
