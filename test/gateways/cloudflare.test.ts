/**
 * Cloudflare AI Gateway through the router, over real HTTP against the emulator: the `/compat`
 * URL, the body, and the exact headers of each auth mode, the `cf-aig-*` options, Unified
 * Billing's guard, embeddings and streaming.
 */
import { describe, expect, it } from 'vitest';
import { AllTargetsFailedError, ConfigError } from '../../src/errors.ts';
import {
  cloudflareGateways,
  compileYaml,
  gatewayHeaders,
  onlyRequest,
  routerFromYaml,
  secrets,
  standardEmulatorOptions,
  startStandardFixture,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

const modes = [
  {
    alias: 'cf-open',
    mode: 'provider-keys',
    gateway: cloudflareGateways.open,
    credential: 'request',
    headers: { authorization: `Bearer ${secrets.cfOpenKey}` },
  },
  {
    alias: 'cf-authed',
    mode: 'provider-keys+token',
    gateway: cloudflareGateways.authed,
    credential: 'request',
    headers: {
      authorization: `Bearer ${secrets.cfAuthedKey}`,
      'cf-aig-authorization': `Bearer ${secrets.cfAuthedToken}`,
    },
  },
  {
    alias: 'cf-stored',
    mode: 'stored-keys',
    gateway: cloudflareGateways.stored,
    credential: 'stored',
    headers: {
      'cf-aig-authorization': `Bearer ${secrets.cfStoredToken}`,
      'cf-aig-no-wholesale': 'true',
    },
  },
] as const;

describe('Cloudflare auth modes: one chat completion through an alias', () => {
  for (const mode of modes) {
    it(`${mode.mode}: exact URL, method, body and headers`, async () => {
      const { emulator, router } = await startStandardFixture();

      const completion = await router.chat.completions.create({
        model: mode.alias,
        messages: user('hello gateway'),
      });

      expect(completion.choices[0]?.message.content).toBe(
        'Echo from openai/gpt-4o-mini: hello gateway',
      );
      const request = onlyRequest(emulator);
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/v1/${mode.gateway.path}/compat/chat/completions`);
      expect(request.url).toBe(`${emulator.url}/v1/${mode.gateway.path}/compat/chat/completions`);
      expect(request.body).toEqual({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello gateway' }],
      });
      // The whole set: present ones match exactly, and nothing else (no openai-organization,
      // openai-project, stray Authorization, ...) was sent.
      expect(gatewayHeaders(request)).toEqual(mode.headers);
      expect(request.headers['x-stainless-retry-count']).toBe('0');
      expect(request.credential).toBe(mode.credential);
      expect(request.status).toBe(200);
    });
  }

  it('stored-keys: no Authorization header at all, so the stored key (not a placeholder) is used', async () => {
    const { emulator, router } = await startStandardFixture();
    await router.chat.completions.create({ model: 'cf-stored', messages: user('hi') });
    const request = onlyRequest(emulator);
    expect(Object.keys(request.headers)).not.toContain('authorization');
    expect(JSON.stringify(request.headers)).not.toContain('switchyard-no-key');
    expect(request.credential).toBe('stored');
  });

  it('stored-keys without a stored key for the provider: cf-aig-no-wholesale turns Unified Billing into a 400', async () => {
    const emulator = await startTestEmulator({
      cloudflare: {
        gateways: {
          'acct/gw': { token: 'tok', storedKeys: ['openai'], unifiedBilling: true },
        },
      },
    });
    const router = routerFromYaml(`
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: ${emulator.url}
    auth: { token: tok, keys: stored }
models:
  groq: edge:groq/llama-3.3-70b-versatile
defaults: { retry: { attempts: 1 } }
`);
    const failure = await router.chat.completions
      .create({ model: 'groq', messages: user('hi') })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AllTargetsFailedError);
    const request = onlyRequest(emulator);
    expect(request.status).toBe(400);
    expect(request.headers['cf-aig-no-wholesale']).toBe('true');
    expect(request.credential).toBeUndefined();
    expect((failure as AllTargetsFailedError).attempts[0]?.status).toBe(400);
  });

  it('stored-keys with unifiedBilling: true opts in: no cf-aig-no-wholesale, Cloudflare may pay', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(`
version: 1
gateways:
  billing:
    type: cloudflare
    accountId: ${cloudflareGateways.billing.accountId}
    gatewayId: ${cloudflareGateways.billing.gatewayId}
    baseURL: ${emulator.url}
    auth: { token: "\${CF_STORED_TOKEN}", keys: stored, unifiedBilling: true }
models:
  paid: billing:anthropic/claude-sonnet-4-5
`);
    await router.chat.completions.create({ model: 'paid', messages: user('hi') });
    const request = onlyRequest(emulator);
    expect(gatewayHeaders(request)).toEqual({
      'cf-aig-authorization': `Bearer ${secrets.cfStoredToken}`,
    });
    expect(request.credential).toBe('unified-billing');
  });

  it('passes model strings verbatim: workers-ai/@cf/..., dynamic/<route>, provider/model with dots', async () => {
    const emulator = await startTestEmulator({
      cloudflare: {
        gateways: {
          'acct/gw': {
            token: 'tok',
            storedKeys: ['openai', 'workers-ai', 'anthropic'],
            dynamicRoutes: { support: 'anthropic/claude-sonnet-4-5' },
          },
        },
      },
    });
    const router = routerFromYaml(`
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: ${emulator.url}
    auth: { token: tok, keys: stored }
upstreams:
  llama: { gateway: edge, model: "workers-ai/@cf/meta/llama-3.1-8b-instruct" }
  support: { gateway: edge, model: dynamic/support }
  dotted: { gateway: edge, model: openai/gpt-4.1-mini-2025-04-14 }
models:
  llama: llama
  support: support
  dotted: dotted
`);
    for (const alias of ['llama', 'support', 'dotted']) {
      await router.chat.completions.create({ model: alias, messages: user('hi') });
    }
    expect(emulator.requests.map((request) => request.model)).toEqual([
      'workers-ai/@cf/meta/llama-3.1-8b-instruct',
      'dynamic/support',
      'openai/gpt-4.1-mini-2025-04-14',
    ]);
    expect(emulator.requests.map((request) => request.status)).toEqual([200, 200, 200]);
    expect(emulator.requests[1]?.provider).toBe('anthropic');
  });
});

describe('Cloudflare body: upstream and alias params merged under the request', () => {
  it('the request wins over the alias, the alias over the upstream', async () => {
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
upstreams:
  mini:
    gateway: edge
    model: openai/gpt-4o-mini
    params: { temperature: 0.2, max_tokens: 64, top_p: 0.9, metadata: { source: upstream } }
models:
  tuned:
    targets: [mini]
    params: { temperature: 0.3, seed: 7 }
`);
    await router.chat.completions.create({
      model: 'tuned',
      messages: user('merge me'),
      temperature: 0.9,
      user: 'u-1',
    });
    expect(onlyRequest(emulator).body).toEqual({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'merge me' }],
      temperature: 0.9,
      max_tokens: 64,
      top_p: 0.9,
      metadata: { source: 'upstream' },
      seed: 7,
      user: 'u-1',
    });
  });

  it('the request cannot change the model string sent: the alias is replaced by the upstream model', async () => {
    const { emulator, router } = await startStandardFixture();
    await router.chat.completions.create({ model: 'cf-open', messages: user('hi') });
    expect(onlyRequest(emulator).model).toBe('openai/gpt-4o-mini');
  });
});

describe('Cloudflare options as cf-aig-* headers', () => {
  const optionsYaml = (url: string) => `
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: ${url}
    auth: { token: "\${CF_STORED_TOKEN}", keys: stored }
    options:
      cacheTtl: 5m
      metadata: { app: search, env: prod }
      collectLog: false
      collectLogPayload: false
      requestTimeout: 1.5s
      maxAttempts: 3
      retryDelay: 500ms
      backoff: exponential
upstreams:
  mini:
    gateway: edge
    model: openai/gpt-4o-mini
    options:
      metadata: { team: growth }
      cacheKey: faq-v2
      eventId: evt-42
      customCost: { perTokenIn: 0.000001, perTokenOut: 0.000004 }
      byokAlias: default
models:
  faq:
    targets: [mini]
    options:
      metadata: { env: staging, feature: answers }
      skipCache: true
      zdr: true
  plain: mini
`;

  it('gateway, upstream and alias options become headers with the right units; metadata merges', async () => {
    const emulator = await startTestEmulator({
      cloudflare: {
        gateways: { 'acct/gw': { token: secrets.cfStoredToken, storedKeys: ['openai'] } },
      },
    });
    const router = routerFromYaml(optionsYaml(emulator.url));
    const { route } = await router.chat.completions
      .create({ model: 'faq', messages: user('hi') })
      .withRoute();

    const request = onlyRequest(emulator);
    const headers = gatewayHeaders(request);
    const metadata = headers['cf-aig-metadata'];
    const customCost = headers['cf-aig-custom-cost'];
    expect(JSON.parse(metadata ?? 'null')).toEqual({
      app: 'search',
      env: 'staging',
      team: 'growth',
      feature: 'answers',
    });
    expect(JSON.parse(customCost ?? 'null')).toEqual({
      per_token_in: 0.000001,
      per_token_out: 0.000004,
    });
    expect(headers).toEqual({
      'cf-aig-authorization': `Bearer ${secrets.cfStoredToken}`,
      'cf-aig-no-wholesale': 'true',
      'cf-aig-cache-ttl': '300',
      'cf-aig-skip-cache': 'true',
      'cf-aig-cache-key': 'faq-v2',
      'cf-aig-metadata': metadata,
      'cf-aig-collect-log': 'false',
      'cf-aig-collect-log-payload': 'false',
      'cf-aig-request-timeout': '1500',
      'cf-aig-max-attempts': '3',
      'cf-aig-retry-delay': '500',
      'cf-aig-backoff': 'exponential',
      'cf-aig-event-id': 'evt-42',
      'cf-aig-custom-cost': customCost,
      'cf-aig-byok-alias': 'default',
      'cf-aig-zdr': 'true',
    });
    // The emulator accepted the metadata (at most 5 scalar entries) and echoed the event id.
    expect(request.metadata).toEqual({
      app: 'search',
      env: 'staging',
      team: 'growth',
      feature: 'answers',
    });
    expect(route.gatewayIds['cf-aig-event-id']).toBe('evt-42');
  });

  it('an alias without options sends only the gateway and upstream layers', async () => {
    const emulator = await startTestEmulator({
      cloudflare: {
        gateways: { 'acct/gw': { token: secrets.cfStoredToken, storedKeys: ['openai'] } },
      },
    });
    const router = routerFromYaml(optionsYaml(emulator.url));
    await router.chat.completions.create({ model: 'plain', messages: user('hi') });
    const headers = gatewayHeaders(onlyRequest(emulator));
    expect(JSON.parse(headers['cf-aig-metadata'] ?? 'null')).toEqual({
      app: 'search',
      env: 'prod',
      team: 'growth',
    });
    expect(headers).not.toHaveProperty('cf-aig-skip-cache');
    expect(headers).not.toHaveProperty('cf-aig-zdr');
    expect(headers['cf-aig-cache-ttl']).toBe('300');
  });

  it('cacheTtl reaches the gateway as whole seconds and makes the second identical call a HIT', async () => {
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
    options: { cacheTtl: 90s }
models:
  cached: edge:openai/gpt-4o-mini
`);
    const first = await router.chat.completions
      .create({ model: 'cached', messages: user('same') })
      .withRoute();
    const second = await router.chat.completions
      .create({ model: 'cached', messages: user('same') })
      .withRoute();
    expect(emulator.requests.map((request) => request.headers['cf-aig-cache-ttl'])).toEqual([
      '90',
      '90',
    ]);
    expect(first.route.gatewayIds['cf-aig-cache-status']).toBe('MISS');
    expect(second.route.gatewayIds['cf-aig-cache-status']).toBe('HIT');
  });
});

describe('Cloudflare embeddings and streaming', () => {
  for (const mode of modes) {
    it(`${mode.mode}: embeddings through an alias go to /compat/embeddings with the same auth`, async () => {
      const emulator = await startTestEmulator(standardEmulatorOptions());
      const router = routerFromYaml(`
version: 1
gateways:
  cf-open:
    type: cloudflare
    accountId: ${cloudflareGateways.open.accountId}
    gatewayId: ${cloudflareGateways.open.gatewayId}
    baseURL: ${emulator.url}
    auth: { keys: { openai: "\${CF_OPEN_OPENAI_KEY}" } }
  cf-authed:
    type: cloudflare
    accountId: ${cloudflareGateways.authed.accountId}
    gatewayId: ${cloudflareGateways.authed.gatewayId}
    baseURL: ${emulator.url}
    auth: { token: "\${CF_AUTHED_TOKEN}", keys: { openai: "\${CF_AUTHED_OPENAI_KEY}" } }
  cf-stored:
    type: cloudflare
    accountId: ${cloudflareGateways.stored.accountId}
    gatewayId: ${cloudflareGateways.stored.gatewayId}
    baseURL: ${emulator.url}
    auth: { token: "\${CF_STORED_TOKEN}", keys: stored }
models:
  ${mode.alias}: ${mode.alias}:openai/text-embedding-3-small
`);
      const result = await router.embeddings.create({
        model: mode.alias,
        input: ['alpha', 'beta'],
        encoding_format: 'float',
      });
      expect(result.data).toHaveLength(2);
      expect(result.data[0]?.embedding).toHaveLength(8);
      const request = onlyRequest(emulator);
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/v1/${mode.gateway.path}/compat/embeddings`);
      expect(request.body).toEqual({
        model: 'openai/text-embedding-3-small',
        input: ['alpha', 'beta'],
        encoding_format: 'float',
      });
      expect(gatewayHeaders(request)).toEqual(mode.headers);
      expect(request.credential).toBe(mode.credential);
    });

    it(`${mode.mode}: a streamed completion, with the same URL and headers`, async () => {
      const { emulator, router } = await startStandardFixture();
      const stream = await router.chat.completions.create({
        model: mode.alias,
        messages: user('stream this please'),
        stream: true,
      });
      let text = '';
      const finishReasons: unknown[] = [];
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.finish_reason) finishReasons.push(chunk.choices[0].finish_reason);
      }
      expect(text).toBe('Echo from openai/gpt-4o-mini: stream this please');
      expect(finishReasons).toEqual(['stop']);
      const request = onlyRequest(emulator);
      expect(request.path).toBe(`/v1/${mode.gateway.path}/compat/chat/completions`);
      expect(request.body).toEqual({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'stream this please' }],
        stream: true,
      });
      expect(gatewayHeaders(request)).toEqual(mode.headers);
      expect(request.headers['x-stainless-retry-count']).toBe('0');
      expect(request.outcome).toBe('completed');
    });
  }
});

describe('byokAlias', () => {
  // Cloudflare uses a key stored under another alias only on provider-native endpoints; on the
  // compat and REST endpoints the call would use the "default" key or Unified Billing
  // (https://developers.cloudflare.com/ai-gateway/features/unified-billing/#credential-precedence).
  it.each(['compat', 'rest'])(
    'an alias other than "default" is refused at load (%s)',
    (endpoint) => {
      const yaml = `
version: 1
gateways:
  edge:
    type: cloudflare
    endpoint: ${endpoint}
    accountId: acct
    gatewayId: gw
    auth: { token: tok, keys: stored }
    options: { byokAlias: production }
models:
  mini: edge:openai/gpt-4o-mini
`;
      let failure: unknown;
      try {
        compileYaml(yaml, {});
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(ConfigError);
      expect((failure as ConfigError).issues).toEqual([
        expect.objectContaining({
          code: 'OPTION_NOT_APPLICABLE',
          path: ['gateways', 'edge', 'options', 'byokAlias'],
          message: expect.stringContaining(
            'Switchyard calls the compat and REST endpoints, where the call would use the "default" key or be billed to Unified Billing',
          ),
        }),
      ]);
      expect(() => compileYaml(yaml.replace('production', 'default'), {})).not.toThrow();
    },
  );
});
