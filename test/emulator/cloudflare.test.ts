import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createCloudflareClient, userMessage } from './helpers.ts';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: {
      gateways: {
        'acct/secure': { token: 'tok', storedKeys: ['openai'] },
        'acct/billing': { token: 'tok', unifiedBilling: true, storedKeys: ['groq'] },
        'acct/open-with-keys': { storedKeys: ['openai'], unifiedBilling: true },
        'acct/routes': {
          token: 'tok',
          storedKeys: ['anthropic'],
          dynamicRoutes: { support: 'anthropic/claude-sonnet-4' },
        },
      },
      providerKeys: { mistral: ['sk-mistral-real'] },
    },
  });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.clearRequests();
});

const compatUrl = (gateway: string) => `${emulator.url}/v1/acct/${gateway}/compat/chat/completions`;
const chatBody = (model = 'openai/gpt-4o-mini') =>
  JSON.stringify({ model, messages: userMessage('hi') });

describe('gateway authentication', () => {
  it.each([
    ['no cf-aig-authorization', {}],
    ['a wrong token', { 'cf-aig-authorization': 'Bearer nope' }],
    ['the token without Bearer', { 'cf-aig-authorization': 'tok' }],
  ])("refuses %s with 401 and Cloudflare's own envelope", async (_case, headers) => {
    const response = await fetch(compatUrl('secure'), {
      method: 'POST',
      headers: { authorization: 'Bearer sk-user', ...headers },
      body: chatBody(),
    });
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body).toEqual({
      success: false,
      result: [],
      messages: [],
      error: [{ code: 2009, message: 'Unauthorized' }],
    });
    expect(emulator.requests.at(-1)?.status).toBe(401);
  });

  it("surfaces through the SDK as AuthenticationError carrying the envelope's error array", async () => {
    const client = createCloudflareClient({ emulator, gateway: 'acct/secure', apiKey: null });
    const error = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    // The SDK takes the body's `error` member, which in Cloudflare's envelope is an array.
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).error).toEqual([
      { code: 2009, message: 'Unauthorized' },
    ]);
  });

  it('lets an unknown gateway through without a token', async () => {
    const client = createCloudflareClient({ emulator, gateway: 'other/unlisted' });
    const { response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    expect(response.headers.get('x-emulator-credential')).toBe('request');
  });
});

describe('credential precedence', () => {
  it('serves stored keys when Authorization is removed and the gateway token is sent', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: null,
      gatewayToken: 'tok',
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo from openai/gpt-4o-mini: hi');
    expect(response.headers.get('x-emulator-credential')).toBe('stored');
    const [recorded] = emulator.requests;
    expect(recorded?.credential).toBe('stored');
    expect(recorded?.headers).not.toHaveProperty('authorization');
    expect(recorded?.headers['cf-aig-authorization']).toBe('Bearer tok');
  });

  it('uses the request key over stored keys, even a placeholder', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: 'placeholder',
      gatewayToken: 'tok',
    });
    const { response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    expect(response.headers.get('x-emulator-credential')).toBe('request');
    expect(emulator.requests[0]).toMatchObject({ credential: 'request', provider: 'openai' });
    expect(emulator.requests[0]?.headers['authorization']).toBe('Bearer placeholder');
  });

  it('rejects a forwarded key the provider does not accept (providerKeys)', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: 'placeholder',
      gatewayToken: 'tok',
    });
    const error = await client.chat.completions
      .create({ model: 'mistral/mistral-large', messages: userMessage('hi') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
    const accepted = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: 'sk-mistral-real',
      gatewayToken: 'tok',
    });
    await expect(
      accepted.chat.completions.create({
        model: 'mistral/mistral-large',
        messages: userMessage('hi'),
      }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
  });

  it('answers 401 as the provider would when no key applies', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: null,
      gatewayToken: 'tok',
    });
    const error = await client.chat.completions
      .create({ model: 'groq/llama-3.3-70b-versatile', messages: userMessage('hi') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ code: 'missing_api_key', type: 'invalid_request_error' });
  });

  it('ignores stored keys and unified billing on an unauthenticated gateway', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/open-with-keys',
      apiKey: null,
    });
    await expect(
      client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('falls back to unified billing on an authenticated gateway that enables it', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/billing',
      apiKey: null,
      gatewayToken: 'tok',
    });
    const { response } = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    expect(response.headers.get('x-emulator-credential')).toBe('unified-billing');
    // A stored key still wins over unified billing for its provider.
    const stored = await client.chat.completions
      .create({ model: 'groq/llama-3.3-70b-versatile', messages: userMessage('hi') })
      .withResponse();
    expect(stored.response.headers.get('x-emulator-credential')).toBe('stored');
  });

  it('refuses unified billing with 400 when cf-aig-no-wholesale is true', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/billing',
      apiKey: null,
      gatewayToken: 'tok',
      headers: { 'cf-aig-no-wholesale': 'true' },
    });
    const error = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    // The body the inferred fixture cloudflare-no-wholesale-400.json holds: no code, no OpenAI error.
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).error).toEqual([
      {
        message:
          'No provider credentials for "openai": the request has no Authorization header, the gateway has no stored key for it, and cf-aig-no-wholesale forbids Unified Billing.',
      },
    ]);
    // Stored keys are not wholesale: they still serve.
    await expect(
      client.chat.completions.create({
        model: 'groq/llama-3.3-70b-versatile',
        messages: userMessage('hi'),
      }),
    ).resolves.toMatchObject({ object: 'chat.completion' });
  });
});

describe('model strings', () => {
  it('rejects a model without provider prefix with an OpenAI-shaped 400', async () => {
    const response = await fetch(compatUrl('gw'), {
      method: 'POST',
      headers: { authorization: 'Bearer sk' },
      body: chatBody('gpt-4o-mini'),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'model', code: 'invalid_model' },
    });
  });

  it('takes the provider from before the first slash', async () => {
    const client = createCloudflareClient({ emulator });
    const model = 'workers-ai/@cf/meta/llama-3.1-8b-instruct';
    const completion = await client.chat.completions.create({ model, messages: userMessage('hi') });
    expect(completion.model).toBe(model);
    expect(emulator.requests[0]).toMatchObject({
      provider: 'workers-ai',
      model,
      accountId: 'acct',
      gatewayId: 'gw',
    });
  });

  it('resolves dynamic routes and reports cf-aig-model / cf-aig-provider', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/routes',
      apiKey: null,
      gatewayToken: 'tok',
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'dynamic/support', messages: userMessage('hi') })
      .withResponse();
    expect(data.model).toBe('dynamic/support');
    expect(response.headers.get('cf-aig-provider')).toBe('anthropic');
    expect(response.headers.get('cf-aig-model')).toBe('claude-sonnet-4');
    expect(response.headers.get('x-emulator-credential')).toBe('stored');
    const direct = await createCloudflareClient({ emulator })
      .chat.completions.create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    expect(direct.response.headers.get('cf-aig-model')).toBeNull();
  });

  it('serves /compat/embeddings with the same auth rules', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: null,
      gatewayToken: 'tok',
    });
    const { data, response } = await client.embeddings
      .create({ model: 'openai/text-embedding-3-small', input: 'x' })
      .withResponse();
    expect(data.data).toHaveLength(1);
    expect(response.headers.get('x-emulator-credential')).toBe('stored');
    expect(emulator.requests[0]).toMatchObject({ endpoint: 'embeddings', kind: 'cloudflare' });
  });
});

describe('cf-aig response headers', () => {
  it('sends deterministic log/request ids, step 0 and echoes the event id', async () => {
    const client = createCloudflareClient({ emulator, headers: { 'cf-aig-event-id': 'evt-42' } });
    const first = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    const second = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: userMessage('hi') })
      .withResponse();
    const logId = first.response.headers.get('cf-aig-log-id');
    expect(logId).toMatch(/^emu-log-\d{6}$/);
    expect(first.response.headers.get('cf-aig-request-id')).toBe(logId);
    expect(second.response.headers.get('cf-aig-log-id')).not.toBe(logId);
    expect(first.response.headers.get('cf-aig-step')).toBe('0');
    expect(first.response.headers.get('cf-aig-event-id')).toBe('evt-42');
    expect(first.response.headers.get('cf-aig-cache-status')).toBe('MISS');
    expect(second.response.headers.get('cf-aig-cache-status')).toBe('MISS');
  });

  it('reports a cache HIT for an identical body sent with a cache key, unless skipped', async () => {
    const cached = await startEmulator();
    try {
      const client = createCloudflareClient({
        emulator: cached,
        headers: { 'cf-aig-cache-key': 'k1' },
      });
      const status = async (content: string, headers: Record<string, string | null> = {}) => {
        const { response } = await client.chat.completions
          .create({ model: 'openai/gpt-4o-mini', messages: userMessage(content) }, { headers })
          .withResponse();
        return response.headers.get('cf-aig-cache-status');
      };
      expect(await status('same')).toBe('MISS');
      expect(await status('same')).toBe('HIT');
      expect(await status('different')).toBe('MISS');
      expect(await status('same', { 'cf-aig-skip-cache': 'true' })).toBe('MISS');
      expect(await status('same', { 'cf-aig-cache-key': 'k2' })).toBe('MISS');
      expect(cached.requests.map((request) => request.cacheStatus)).toEqual([
        'MISS',
        'HIT',
        'MISS',
        'MISS',
        'MISS',
      ]);
      cached.clearCache();
      expect(await status('same')).toBe('MISS');
      // A TTL alone asks for caching too.
      const ttlOnly = { 'cf-aig-cache-key': null, 'cf-aig-cache-ttl': '60' };
      expect(await status('ttl only', ttlOnly)).toBe('MISS');
      expect(await status('ttl only', ttlOnly)).toBe('HIT');
      expect(cached.requests.at(-1)?.headers).not.toHaveProperty('cf-aig-cache-key');
    } finally {
      await cached.close();
    }
  });

  it('sends cf-aig headers on provider errors too', async () => {
    const client = createCloudflareClient({
      emulator,
      gateway: 'acct/secure',
      apiKey: null,
      gatewayToken: 'tok',
    });
    const error = await client.chat.completions
      .create({ model: 'groq/llama-3.3-70b-versatile', messages: userMessage('hi') })
      .catch((caught: unknown) => caught);
    expect((error as InstanceType<typeof OpenAI.APIError>).headers?.get('cf-aig-log-id')).toMatch(
      /^emu-log-/,
    );
  });
});

describe('cf-aig-metadata', () => {
  it('records valid metadata parsed', async () => {
    const client = createCloudflareClient({
      emulator,
      headers: { 'cf-aig-metadata': JSON.stringify({ team: 'search', attempt: 2, canary: false }) },
    });
    await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: userMessage('hi'),
    });
    expect(emulator.requests[0]?.metadata).toEqual({ team: 'search', attempt: 2, canary: false });
  });

  it.each([
    ['not JSON', '{team:'],
    ['an array', '["a"]'],
    ['six entries', JSON.stringify({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 })],
    ['a nested object', JSON.stringify({ user: { id: 1 } })],
    ['a null value', JSON.stringify({ user: null })],
  ])('rejects %s with 400', async (_case, metadata) => {
    const response = await fetch(compatUrl('gw'), {
      method: 'POST',
      headers: { authorization: 'Bearer sk', 'cf-aig-metadata': metadata },
      body: chatBody(),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_metadata' } });
    expect(emulator.requests.at(-1)?.metadata).toBeUndefined();
  });
});
