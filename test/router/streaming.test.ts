/**
 * Streaming through the router is transparent: the caller gets exactly the chunks the `openai`
 * SDK yields when it calls the same gateway directly with the same request, through every kind
 * of gateway.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.ts';
import {
  onlyRequest,
  routerFromYaml,
  secrets,
  standardAliases,
  standardConfigYaml,
  standardEmulatorOptions,
  startStandardFixture,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** An SDK client configured by hand the way the docs say each gateway wants it. */
const directClients = {
  'cf-stored': (emulator: Emulator) =>
    new OpenAI({
      apiKey: 'unused',
      baseURL: `${emulator.url}/v1/acct1/byok/compat`,
      defaultHeaders: {
        Authorization: null,
        'cf-aig-authorization': `Bearer ${secrets.cfStoredToken}`,
        'cf-aig-no-wholesale': 'true',
      },
      organization: null,
      project: null,
      maxRetries: 0,
    }),
  'cf-authed': (emulator: Emulator) =>
    new OpenAI({
      apiKey: secrets.cfAuthedKey,
      baseURL: `${emulator.url}/v1/acct1/authed/compat`,
      defaultHeaders: { 'cf-aig-authorization': `Bearer ${secrets.cfAuthedToken}` },
      organization: null,
      project: null,
      maxRetries: 0,
    }),
  local: (emulator: Emulator) =>
    new OpenAI({
      apiKey: secrets.localKey,
      baseURL: `${emulator.url}/local/v1`,
      organization: null,
      project: null,
      maxRetries: 0,
    }),
} as const;

const upstreamModels = {
  'cf-stored': 'openai/gpt-4o-mini',
  'cf-authed': 'openai/gpt-4o-mini',
  local: 'llama3.2:3b',
} as const;

const requests: Record<string, Omit<OpenAI.Chat.ChatCompletionCreateParamsStreaming, 'model'>> = {
  'with usage': {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'the quick brown fox jumps over the lazy dog' },
    ],
    stream: true,
    stream_options: { include_usage: true },
    temperature: 0.5,
  },
  'cut by max_tokens': {
    messages: user('one two three four five six'),
    stream: true,
    max_tokens: 3,
  },
};

describe('streaming through the router yields exactly what the SDK yields directly', () => {
  for (const alias of ['cf-stored', 'cf-authed', 'local'] as const) {
    for (const [name, request] of Object.entries(requests)) {
      it(`${alias}, ${name}: deep-equal chunk arrays, same request on the wire`, async () => {
        // Two identical emulators, one request each: ids and timestamps line up exactly.
        const viaRouter = await startStandardFixture();
        const direct = await startTestEmulator(standardEmulatorOptions());

        const routed = await collect(
          await viaRouter.router.chat.completions.create({ ...request, model: alias }),
        );
        const expected = await collect(
          await directClients[alias](direct).chat.completions.create({
            ...request,
            model: upstreamModels[alias],
          }),
        );

        expect(expected.length).toBeGreaterThan(3);
        expect(routed).toEqual(expected);
        expect(onlyRequest(viaRouter.emulator).body).toEqual(onlyRequest(direct).body);
        expect(onlyRequest(viaRouter.emulator).path).toBe(onlyRequest(direct).path);
      });
    }
  }
});

describe('streaming through every gateway kind', () => {
  for (const alias of standardAliases) {
    it(`${alias}: the whole answer, one finish chunk, the route of the stream`, async () => {
      const { emulator, router } = await startStandardFixture();
      const { data: stream, route } = await router.chat.completions
        .create({ model: alias, messages: user('stream me'), stream: true })
        .withRoute();
      const chunks = await collect(stream);
      const request = onlyRequest(emulator);
      const model = request.model;

      expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
        `Echo from ${model}: stream me`,
      );
      expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason === 'stop')).toHaveLength(1);
      expect(request.stream).toBe(true);
      expect(request.outcome).toBe('completed');
      expect(route).toMatchObject({ model: alias, upstreamModel: model });
    });
  }

  it('a streamed call and a plain call through the same alias send the same URL and headers', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(standardConfigYaml({ cloudflare: emulator.url }));
    await router.chat.completions.create({ model: 'cf-authed', messages: user('a') });
    await collect(
      await router.chat.completions.create({
        model: 'cf-authed',
        messages: user('a'),
        stream: true,
      }),
    );
    const [plain, streamed] = emulator.requests;
    expect(streamed?.url).toBe(plain?.url);
    const { 'content-length': _a, ...plainHeaders } = plain?.headers ?? {};
    const { 'content-length': _b, ...streamedHeaders } = streamed?.headers ?? {};
    expect(streamedHeaders).toEqual(plainHeaders);
  });
});
