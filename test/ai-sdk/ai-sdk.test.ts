/**
 * The AI SDK provider with the real `ai` package: generateText, streamText, embed, a tool loop
 * (plain and streamed), structured output, usage, finish reasons and the route as provider
 * metadata; a fallback, a stream interrupted after its first chunk, and errors mapped to the AI
 * SDK's types with `isRetryable: false` (the AI SDK must not retry on top of the router). The
 * text, embedding and fault cases run against the gateway emulator; tool calls and JSON answers,
 * which the emulator does not script, against a small OpenAI-shaped server (tool-server.ts).
 */
import {
  APICallError,
  embed,
  embedMany,
  generateText,
  NoSuchModelError,
  Output,
  stepCountIs,
  streamText,
  tool,
} from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSwitchyard, type SwitchyardProvider } from '../../src/ai-sdk/index.ts';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { isRouterError } from '../../src/errors.ts';
import { createRouter } from '../../src/router/create-router.ts';
import type { Router } from '../../src/router/types.ts';
import { startToolServer, type ToolServer } from './tool-server.ts';

let emulator: Emulator;
let tools: ToolServer;
let router: Router;
let switchyard: SwitchyardProvider;

beforeAll(async () => {
  emulator = await startEmulator();
  tools = await startToolServer();
  const table = parseConfig(
    `
version: 1
gateways:
  emu: { type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: sk-emu }
  toolbox: { type: openai-compatible, baseURL: "${tools.baseURL}", apiKey: sk-tools }
upstreams:
  primary: { gateway: emu, model: primary-model }
  backup: { gateway: emu, model: backup-model }
  embedder: { gateway: emu, model: embed-model }
  tool-primary: { gateway: emu, model: tool-primary }
  tool-backup: { gateway: toolbox, model: tool-model }
models:
  fast: { targets: [primary, backup], retry: { attempts: 1 } }
  embed: embedder
  agent: { targets: [tool-primary, tool-backup], retry: { attempts: 1 } }
  toolbox: tool-backup
`,
    { env: {} },
  );
  router = createRouter(table, { env: {}, health: false });
  switchyard = createSwitchyard(router);
});

afterAll(async () => {
  await router?.close();
  await tools?.close();
  await emulator?.close();
});

beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
  tools.requests.length = 0;
});

describe('generateText', () => {
  it('text, usage, finish reason and the route as provider metadata', async () => {
    const result = await generateText({ model: switchyard('fast'), prompt: 'hello sdk' });
    expect(result.text).toBe('Echo from primary-model: hello sdk');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBe(2);
    expect(result.usage.outputTokens).toBe(5);
    expect(result.providerMetadata?.['switchyard']).toMatchObject({
      model: 'fast',
      upstream: 'primary',
      gateway: 'emu',
      upstreamModel: 'primary-model',
      attempts: [{ upstream: 'primary', decision: 'success' }],
    });
    expect(result.response.modelId).toBe('primary-model');
  });

  it('system message, settings and length finish reach the upstream', async () => {
    const result = await generateText({
      model: switchyard('fast'),
      system: 'be brief',
      prompt: 'one two three four five six',
      maxOutputTokens: 3,
      temperature: 0.2,
    });
    expect(result.finishReason).toBe('length');
    expect(result.text).toBe('Echo from primary-model:');
    expect(emulator.requests[0]?.body).toMatchObject({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'one two three four five six' },
      ],
      max_tokens: 3,
      temperature: 0.2,
    });
  });

  it('falls back: the backup answers and the metadata shows both attempts', async () => {
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'status', status: 503 },
    });
    const result = await generateText({ model: switchyard('fast'), prompt: 'fall back' });
    expect(result.text).toBe('Echo from backup-model: fall back');
    const route = result.providerMetadata?.['switchyard'] as {
      upstream: string;
      attempts: { decision: string }[];
    };
    expect(route.upstream).toBe('backup');
    expect(route.attempts.map((attempt) => attempt.decision)).toEqual(['fallback', 'success']);
  });

  it('all targets failing: APICallError, isRetryable false, and the AI SDK does not retry', async () => {
    emulator.inject({ fault: { type: 'status', status: 503 } });
    const failure = await generateText({
      model: switchyard('fast'),
      prompt: 'x',
      maxRetries: 3,
    }).catch((error: unknown) => error);
    // The AI SDK wraps a failure it did not retry as the error itself.
    expect(APICallError.isInstance(failure)).toBe(true);
    const error = failure as APICallError;
    expect(error.isRetryable).toBe(false);
    expect(error.statusCode).toBe(503);
    expect(error.data).toMatchObject({ code: 'ALL_TARGETS_FAILED' });
    expect(isRouterError(error.cause) && error.cause.code).toBe('ALL_TARGETS_FAILED');
    // Two requests (one per target), not 2 × (1 + maxRetries).
    expect(emulator.requests).toHaveLength(2);
  });

  it('an unknown alias is NoSuchModelError when the model is created', () => {
    expect(() => switchyard('fats')).toThrow(NoSuchModelError);
    expect(() => switchyard('fats')).toThrow(/Did you mean "fast"/);
    expect(() => switchyard.imageModel('fast')).toThrow(NoSuchModelError);
  });

  it('an abort passes through as an abort', async () => {
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'delay', ms: 2_000 },
    });
    const controller = new AbortController();
    const pending = generateText({
      model: switchyard('fast'),
      prompt: 'x',
      abortSignal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const failure = await pending.catch((error: unknown) => error);
    expect((failure as Error).name).toBe('AbortError');
  });
});

describe('streamText', () => {
  it('streams text deltas, then usage and the route', async () => {
    const result = streamText({ model: switchyard('fast'), prompt: 'a b c' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.join('')).toBe('Echo from primary-model: a b c');
    expect(deltas.length).toBeGreaterThan(3);
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).outputTokens).toBe(6);
    expect((await result.providerMetadata)?.['switchyard']).toMatchObject({ upstream: 'primary' });
    expect(emulator.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('falls back before the first chunk', async () => {
    emulator.inject({ match: { model: 'primary-model' }, times: 1, fault: { type: 'reset' } });
    const result = streamText({ model: switchyard('fast'), prompt: 'again' });
    expect(await result.text).toBe('Echo from backup-model: again');
    expect((await result.providerMetadata)?.['switchyard']).toMatchObject({ upstream: 'backup' });
  });

  it('interrupted after commit: an error part, finish reason "error", no fallback', async () => {
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'stream-cut', afterChunks: 2 },
    });
    const errors: unknown[] = [];
    const result = streamText({
      model: switchyard('fast'),
      prompt: 'a b c d e f g',
      onError: ({ error }) => {
        errors.push(error);
      },
    });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type);
    expect(parts).toContain('error');
    expect(await result.finishReason).toBe('error');
    expect(errors).toHaveLength(1);
    const error = errors[0] as APICallError;
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error.isRetryable).toBe(false);
    expect(error.data).toMatchObject({ code: 'STREAM_INTERRUPTED' });
    expect(emulator.requests.map((request) => request.model)).toEqual(['primary-model']);
  });
});

describe('tools', () => {
  const weather = tool({
    description: 'Weather for a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => ({ city, temperatureC: 21 }),
  });

  it('a tool loop: call, result, answer (with a fallback on the first step)', async () => {
    emulator.inject({ match: { model: 'tool-primary' }, fault: { type: 'status', status: 500 } });
    const result = await generateText({
      model: switchyard('agent'),
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Paris?',
    });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.finishReason).toBe('tool-calls');
    expect(result.steps[0]?.toolCalls[0]).toMatchObject({
      toolName: 'weather',
      input: { city: 'Paris' },
    });
    expect(result.text).toBe('Tool said: {"city":"Paris","temperatureC":21}');
    // The tool's JSON schema went out as an OpenAI function; the result came back as a tool message.
    expect(tools.requests[0]).toMatchObject({
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    });
    expect((tools.requests[1]?.['messages'] as unknown[] | undefined)?.slice(-2)).toMatchObject([
      {
        role: 'assistant',
        tool_calls: [
          { id: 'call_weather_1', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_weather_1' },
    ]);
    expect(result.steps[0]?.providerMetadata?.['switchyard']).toMatchObject({
      upstream: 'tool-backup',
    });
  });

  it('a streamed tool loop', async () => {
    const result = streamText({
      model: switchyard('toolbox'),
      tools: { weather },
      stopWhen: stepCountIs(3),
      prompt: 'Weather in Paris?',
    });
    const types = new Set<string>();
    for await (const part of result.fullStream) types.add(part.type);
    expect(types).toContain('tool-input-delta');
    expect(types).toContain('tool-call');
    expect(types).toContain('tool-result');
    expect(await result.text).toBe('Tool said: {"city":"Paris","temperatureC":21}');
    expect((await result.steps)[0]?.toolCalls[0]?.input).toEqual({ city: 'Paris' });
  });

  it('structured output: the schema goes out as response_format, the object comes back', async () => {
    const result = await generateText({
      model: switchyard('toolbox'),
      output: Output.object({ schema: z.object({ city: z.string(), temperatureC: z.number() }) }),
      prompt: 'Weather as JSON',
    });
    expect(result.output).toEqual({ city: 'Paris', temperatureC: 21 });
    expect(tools.requests.at(-1)?.['response_format']).toMatchObject({
      type: 'json_schema',
      json_schema: { schema: { type: 'object' } },
    });
  });
});

describe('embed', () => {
  it('embed and embedMany through the alias', async () => {
    const one = await embed({ model: switchyard.embeddingModel('embed'), value: 'hello' });
    expect(one.embedding.length).toBeGreaterThan(0);
    expect(one.providerMetadata?.['switchyard']).toMatchObject({ upstream: 'embedder' });
    const many = await embedMany({
      model: switchyard.textEmbeddingModel('embed'),
      values: ['a', 'b', 'c'],
    });
    expect(many.embeddings).toHaveLength(3);
    expect(emulator.requests.at(-1)?.body).toMatchObject({
      input: ['a', 'b', 'c'],
      model: 'embed-model',
    });
  });
});
