/**
 * Cloudflare's REST API (`endpoint: rest`) through the router, over real HTTP against the
 * emulator: the exact URL and headers per auth mode (stored keys with the Unified Billing guard,
 * Unified Billing opted in), `cf-aig-gateway-id` present or absent, every `cf-aig-*` option,
 * Workers AI models, embeddings, streaming, and the 401 a wrong API token gets.
 *
 * Facts relied on (https://developers.cloudflare.com/ai-gateway/usage/rest-api/ and
 * https://developers.cloudflare.com/changelog/post/2026-05-21-rest-api/): requests go to
 * `https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1/chat/completions` (and
 * `/responses`), authenticated by a Cloudflare API token in `Authorization: Bearer`; third-party
 * models go through the account's default gateway unless `cf-aig-gateway-id` names one; Workers
 * AI models (`@cf/...`) need that header; a token without the Workers AI permission gets 401
 * with code 10000. Credential precedence and `cf-aig-no-wholesale`:
 * https://developers.cloudflare.com/ai-gateway/features/unified-billing/.
 */
import { describe, expect, it } from 'vitest';
import { AllTargetsFailedError, ConfigError } from '../../src/errors.ts';
import {
  compileYaml,
  gatewayHeaders,
  onlyRequest,
  routerFromYaml,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

const apiToken = 'cf-api-token-REST1';
const env = { CLOUDFLARE_API_TOKEN: apiToken };

function restYaml(options: { url: string; auth: string; gatewayId?: string; extra?: string }) {
  return `
version: 1
gateways:
  edge:
    type: cloudflare
    endpoint: rest
    accountId: acct9
${options.gatewayId === undefined ? '' : `    gatewayId: ${options.gatewayId}\n`}    baseURL: ${options.url}
    auth: ${options.auth}
${options.extra ?? ''}
models:
  mini: edge:openai/gpt-4o-mini
  claude: edge:anthropic/claude-sonnet-4-5
defaults: { retry: { attempts: 1 } }
`;
}

const restPath = '/client/v4/accounts/acct9/ai/v1/chat/completions';

describe('Cloudflare REST API: endpoint × auth mode, exact URL and headers', () => {
  const cases = [
    {
      name: 'stored keys, named gateway: token in Authorization, cf-aig-gateway-id, the Unified Billing guard',
      auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored }',
      gatewayId: 'prod',
      headers: {
        authorization: `Bearer ${apiToken}`,
        'cf-aig-gateway-id': 'prod',
        'cf-aig-no-wholesale': 'true',
      },
      credential: 'stored',
      gatewayLogged: 'prod',
    },
    {
      name: 'stored keys, default gateway: no cf-aig-gateway-id at all',
      auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored }',
      gatewayId: undefined,
      headers: { authorization: `Bearer ${apiToken}`, 'cf-aig-no-wholesale': 'true' },
      credential: 'stored',
      gatewayLogged: 'default',
    },
    {
      name: 'Unified Billing opted in: no cf-aig-no-wholesale',
      auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored, unifiedBilling: true }',
      gatewayId: 'prod',
      headers: { authorization: `Bearer ${apiToken}`, 'cf-aig-gateway-id': 'prod' },
      credential: 'unified-billing',
      gatewayLogged: 'prod',
    },
  ] as const;

  for (const mode of cases) {
    it(mode.name, async () => {
      const emulator = await startTestEmulator({
        cloudflare: {
          apiTokens: [apiToken],
          gateways: {
            'acct9/prod': { storedKeys: mode.credential === 'stored' ? ['openai'] : [] },
            'acct9/default': { storedKeys: ['openai'] },
          },
        },
      });
      const router = routerFromYaml(
        restYaml({
          url: emulator.url,
          auth: mode.auth,
          ...(mode.gatewayId === undefined ? {} : { gatewayId: mode.gatewayId }),
        }),
        { configEnv: env },
      );
      const completion = await router.chat.completions.create({
        model: 'mini',
        messages: user('hello rest'),
      });
      expect(completion.choices[0]?.message.content).toBe(
        'Echo from openai/gpt-4o-mini: hello rest',
      );
      const request = onlyRequest(emulator);
      expect(request.method).toBe('POST');
      expect(request.url).toBe(`${emulator.url}${restPath}`);
      expect(request.body).toEqual({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hello rest' }],
      });
      // The whole set: nothing else (no cf-aig-authorization, no provider key, no OpenAI-*).
      expect(gatewayHeaders(request)).toEqual(mode.headers);
      expect(request.credential).toBe(mode.credential);
      expect(request.gatewayId).toBe(mode.gatewayLogged);
    });
  }

  it('resolve() shows the REST URL, the api-token mode and the token redacted', () => {
    const router = routerFromYaml(
      restYaml({
        url: 'http://127.0.0.1:9',
        auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored }',
        gatewayId: 'prod',
      }),
      { configEnv: env },
    );
    const target = router.resolve('mini').targets[0];
    expect(target?.url).toBe(`http://127.0.0.1:9${restPath}`);
    expect(target?.authMode).toBe('api-token');
    expect(target?.headers).toEqual({
      authorization: '[redacted]',
      'cf-aig-gateway-id': 'prod',
      'cf-aig-no-wholesale': 'true',
    });
    expect(JSON.stringify(router.resolve('mini'))).not.toContain(apiToken);
  });

  it('without a stored key the guard turns Unified Billing into a 400, and nothing is billed', async () => {
    const emulator = await startTestEmulator({
      cloudflare: { apiTokens: [apiToken], gateways: { 'acct9/prod': { storedKeys: ['openai'] } } },
    });
    const router = routerFromYaml(
      restYaml({
        url: emulator.url,
        auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored }',
        gatewayId: 'prod',
      }),
      { configEnv: env },
    );
    const failure = await router.chat.completions
      .create({ model: 'claude', messages: user('hi') })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AllTargetsFailedError);
    const request = onlyRequest(emulator);
    expect(request.status).toBe(400);
    expect(request.credential).toBeUndefined();
  });

  it('a token the API does not accept: 401 with code 10000, classified auth, never retried', async () => {
    const emulator = await startTestEmulator({
      cloudflare: { apiTokens: ['another-token'] },
    });
    const router = routerFromYaml(
      restYaml({
        url: emulator.url,
        auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored, unifiedBilling: true }',
      }),
      { configEnv: env },
    );
    const failure = (await router.chat.completions
      .create({ model: 'mini', messages: user('hi') })
      .catch((error: unknown) => error)) as AllTargetsFailedError;
    expect(failure).toBeInstanceOf(AllTargetsFailedError);
    expect(failure.attempts).toHaveLength(1);
    expect(failure.attempts[0]).toMatchObject({ status: 401, errorClass: 'auth' });
    const request = onlyRequest(emulator);
    expect(request.status).toBe(401);
    expect(JSON.stringify(failure)).not.toContain(apiToken);
  });

  it('every cf-aig-* option is sent on the REST endpoint too', async () => {
    const emulator = await startTestEmulator({ cloudflare: { apiTokens: [apiToken] } });
    const router = routerFromYaml(
      restYaml({
        url: emulator.url,
        auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored, unifiedBilling: true }',
        gatewayId: 'prod',
        extra: `    options:
      cacheTtl: 2m
      skipCache: true
      cacheKey: k1
      metadata: { app: rest }
      collectLog: true
      collectLogPayload: false
      requestTimeout: 2s
      maxAttempts: 2
      retryDelay: 100ms
      backoff: linear
      eventId: ev-1
      customCost: { perTokenIn: 1, perTokenOut: 2 }
      byokAlias: default
      zdr: false`,
      }),
      { configEnv: env },
    );
    await router.chat.completions.create({ model: 'mini', messages: user('hi') });
    expect(gatewayHeaders(onlyRequest(emulator))).toEqual({
      authorization: `Bearer ${apiToken}`,
      'cf-aig-gateway-id': 'prod',
      'cf-aig-cache-ttl': '120',
      'cf-aig-skip-cache': 'true',
      'cf-aig-cache-key': 'k1',
      'cf-aig-metadata': '{"app":"rest"}',
      'cf-aig-collect-log': 'true',
      'cf-aig-collect-log-payload': 'false',
      'cf-aig-request-timeout': '2000',
      'cf-aig-max-attempts': '2',
      'cf-aig-retry-delay': '100',
      'cf-aig-backoff': 'linear',
      'cf-aig-event-id': 'ev-1',
      'cf-aig-custom-cost': '{"per_token_in":1,"per_token_out":2}',
      'cf-aig-byok-alias': 'default',
      'cf-aig-zdr': 'false',
    });
  });

  it('Workers AI (@cf/...) with a gateway id, embeddings and a stream go to the REST paths', async () => {
    const emulator = await startTestEmulator({ cloudflare: { apiTokens: [apiToken] } });
    const router = routerFromYaml(
      restYaml({
        url: emulator.url,
        auth: '{ token: "${CLOUDFLARE_API_TOKEN}", keys: stored }',
        gatewayId: 'default',
        extra: '',
      }).replace(
        'models:\n',
        'models:\n  llama: edge:@cf/meta/llama-3.1-8b-instruct\n  embed: edge:@cf/baai/bge-small-en-v1.5\n',
      ),
      { configEnv: env },
    );
    await router.chat.completions.create({ model: 'llama', messages: user('hi') });
    await router.embeddings.create({ model: 'embed', input: 'vector me' });
    const stream = await router.chat.completions.create({
      model: 'llama',
      messages: user('stream me'),
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo from @cf/meta/llama-3.1-8b-instruct: stream me');
    expect(emulator.requests.map((request) => [request.path, request.status])).toEqual([
      [restPath, 200],
      ['/client/v4/accounts/acct9/ai/v1/embeddings', 200],
      [restPath, 200],
    ]);
    expect(emulator.requests.map((request) => request.credential)).toEqual([
      'workers-ai',
      'workers-ai',
      'workers-ai',
    ]);
    for (const request of emulator.requests) {
      expect(request.headers['cf-aig-gateway-id']).toBe('default');
      expect(request.headers['cf-aig-authorization']).toBeUndefined();
    }
  });
});

describe('Cloudflare REST API: config errors', () => {
  const compileError = (text: string) => {
    try {
      compileYaml(text, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((issue) => `${issue.code}: ${issue.message}`);
    }
    throw new Error('expected a ConfigError');
  };

  it('provider keys cannot travel on the REST endpoint', () => {
    expect(
      compileError(
        restYaml({ url: 'http://127.0.0.1:9', auth: '{ token: t, keys: { openai: sk-1 } }' }),
      ),
    ).toEqual([
      'INVALID_VALUE: the REST endpoint sends your Cloudflare API token in Authorization, so it cannot carry provider keys: store them in the gateway and write keys: stored (add unifiedBilling: true to let Cloudflare bill credits), or use endpoint: compat',
    ]);
  });

  it('the REST endpoint needs the API token', () => {
    expect(compileError(restYaml({ url: 'http://127.0.0.1:9', auth: '{ keys: stored }' }))).toEqual(
      [
        'MISSING_CREDENTIAL: the REST endpoint needs a Cloudflare API token (AI Gateway Read and Edit; Workers AI Read for Workers AI models): add token: ${CLOUDFLARE_API_TOKEN}',
      ],
    );
  });

  it('Workers AI and dynamic routes need a gateway id; the compat prefix workers-ai/ is refused', () => {
    const text = restYaml({
      url: 'http://127.0.0.1:9',
      auth: '{ token: t, keys: stored }',
    }).replace(
      'models:\n',
      'upstreams:\n  a: { gateway: edge, model: "@cf/meta/llama-3.1-8b-instruct" }\n  b: { gateway: edge, model: dynamic/support }\n  c: { gateway: edge, model: "workers-ai/@cf/meta/llama-3.1-8b-instruct" }\nmodels:\n',
    );
    expect(compileError(text)).toEqual([
      'INVALID_VALUE: upstream "a" uses a Workers AI model, which the REST endpoint serves only with cf-aig-gateway-id: add gatewayId to gateway "edge" (gatewayId: default for the default gateway)',
      'INVALID_VALUE: upstream "b" uses a dynamic route, which the REST endpoint serves only with cf-aig-gateway-id: add gatewayId to gateway "edge" (gatewayId: default for the default gateway)',
      'INVALID_VALUE: the REST endpoint names Workers AI models @cf/... (workers-ai/@cf/... is the compat form): write "@cf/meta/llama-3.1-8b-instruct"',
    ]);
  });

  it('the compat endpoint still needs gatewayId', () => {
    expect(
      compileError(`
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    auth: { keys: stored, token: t }
models:
  m: edge:openai/gpt-4o-mini
`),
    ).toEqual([
      'SCHEMA_VIOLATION: missing gatewayId: the compat endpoint is /v1/{accountId}/{gatewayId}/compat; add gatewayId: ${CLOUDFLARE_GATEWAY_ID} (or endpoint: rest, which can use the default gateway)',
    ]);
  });
});
