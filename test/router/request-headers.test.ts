/**
 * Per-request `headers` (the SDK's request option) reach the gateway and override the headers
 * the config sets, whatever their case or container; `null` removes a configured header.
 */
import { describe, expect, it } from 'vitest';
import {
  gatewayHeaders,
  onlyRequest,
  routerFromYaml,
  secrets,
  standardEmulatorOptions,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

async function cachedGateway() {
  const emulator = await startTestEmulator(standardEmulatorOptions());
  const router = routerFromYaml(`
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: ${emulator.url}
    auth: { keys: { openai: "\${CF_OPEN_OPENAI_KEY}" } }
    options: { cacheTtl: 5m, skipCache: false, metadata: { app: search } }
  or:
    type: openrouter
    apiKey: \${OPENROUTER_KEY}
    baseURL: ${emulator.url}/api/v1
    options: { attribution: { title: Configured Title } }
models:
  cached: edge:openai/gpt-4o-mini
  or: or:openai/gpt-4o-mini
`);
  return { emulator, router };
}

describe('per-request headers', () => {
  it('cf-aig-skip-cache: true from the request overrides skipCache: false from the config', async () => {
    const { emulator, router } = await cachedGateway();
    const first = await router.chat.completions
      .create({ model: 'cached', messages: user('same question') })
      .withRoute();
    const second = await router.chat.completions
      .create(
        { model: 'cached', messages: user('same question') },
        { headers: { 'cf-aig-skip-cache': 'true' } },
      )
      .withRoute();
    const third = await router.chat.completions
      .create({ model: 'cached', messages: user('same question') })
      .withRoute();

    expect(emulator.requests.map((request) => request.headers['cf-aig-skip-cache'])).toEqual([
      'false',
      'true',
      'false',
    ]);
    expect(
      [first, second, third].map((call) => call.route.gatewayIds['cf-aig-cache-status']),
    ).toEqual(['MISS', 'MISS', 'HIT']);
  });

  it('a header the config does not set is added; one it sets is replaced, not duplicated, whatever the case', async () => {
    const { emulator, router } = await cachedGateway();
    await router.chat.completions.create(
      { model: 'cached', messages: user('hi') },
      {
        headers: {
          'CF-AIG-Cache-TTL': '60',
          'cf-aig-event-id': 'evt-request',
          'cf-aig-metadata': JSON.stringify({ request: 'r1' }),
        },
      },
    );
    expect(gatewayHeaders(onlyRequest(emulator))).toEqual({
      authorization: `Bearer ${secrets.cfOpenKey}`,
      'cf-aig-cache-ttl': '60',
      'cf-aig-skip-cache': 'false',
      'cf-aig-metadata': '{"app":"search","request":"r1"}',
      'cf-aig-event-id': 'evt-request',
    });
  });

  it('cf-aig-metadata from the request merges with the configured metadata, key by key', async () => {
    // Cloudflare reads one JSON object per request (https://developers.cloudflare.com/ai-gateway/observability/custom-metadata/).
    const { emulator, router } = await cachedGateway();
    await router.chat.completions.create(
      { model: 'cached', messages: user('a') },
      { headers: { 'cf-aig-metadata': JSON.stringify({ user: 'u-1', app: 'override' }) } },
    );
    await router.chat.completions.create(
      { model: 'cached', messages: user('b') },
      { headers: { 'cf-aig-metadata': null } },
    );
    await router.chat.completions.create({ model: 'cached', messages: user('c') });
    const [merged, removed, configured] = emulator.requests;
    expect(merged?.metadata).toEqual({ app: 'override', user: 'u-1' });
    expect(removed?.headers['cf-aig-metadata']).toBeUndefined();
    expect(configured?.metadata).toEqual({ app: 'search' });
  });

  it('accepts a Headers instance and an array of pairs, like the SDK', async () => {
    const { emulator, router } = await cachedGateway();
    await router.chat.completions.create(
      { model: 'cached', messages: user('a') },
      { headers: new Headers({ 'cf-aig-skip-cache': 'true' }) },
    );
    await router.chat.completions.create(
      { model: 'cached', messages: user('b') },
      { headers: [['cf-aig-cache-key', 'k-1']] },
    );
    const [first, second] = emulator.requests;
    expect(first?.headers['cf-aig-skip-cache']).toBe('true');
    expect(second?.headers['cf-aig-cache-key']).toBe('k-1');
    expect(second?.headers['cf-aig-skip-cache']).toBe('false');
  });

  it('null removes a configured header for this request only', async () => {
    const { emulator, router } = await cachedGateway();
    await router.chat.completions.create(
      { model: 'cached', messages: user('hi') },
      { headers: { 'cf-aig-cache-ttl': null } },
    );
    await router.chat.completions.create({ model: 'cached', messages: user('hi') });
    const [removed, restored] = emulator.requests;
    expect(removed?.headers).not.toHaveProperty('cf-aig-cache-ttl');
    expect(restored?.headers['cf-aig-cache-ttl']).toBe('300');
  });

  it('overrides attribution headers on OpenRouter, and reaches streams and embeddings too', async () => {
    const { emulator, router } = await cachedGateway();
    await router.chat.completions.create(
      { model: 'or', messages: user('hi') },
      { headers: { 'X-OpenRouter-Title': 'Per Request' } },
    );
    const stream = await router.chat.completions.create(
      { model: 'cached', messages: user('hi'), stream: true },
      { headers: { 'cf-aig-event-id': 'evt-stream' } },
    );
    for await (const _chunk of stream) {
      // drain
    }
    await router.embeddings.create(
      { model: 'edge:openai/text-embedding-3-small', input: 'x' },
      { headers: { 'cf-aig-event-id': 'evt-embed' } },
    );
    const [chat, streamed, embedded] = emulator.requests;
    expect(chat?.headers['x-openrouter-title']).toBe('Per Request');
    expect(chat?.headers['x-title']).toBe('Configured Title');
    expect(streamed?.headers['cf-aig-event-id']).toBe('evt-stream');
    expect(embedded?.headers['cf-aig-event-id']).toBe('evt-embed');
  });
});
