/**
 * One `openai` client per gateway and credential, created on first use and reused; the SDK
 * never retries on its own; and every result tells which upstream served it, with the
 * gateway's response identifiers.
 */
import { describe, expect, it } from 'vitest';
import { createClientPool } from '../../src/router/client-pool.ts';
import { createPlanResolver } from '../../src/router/resolve-plan.ts';
import {
  compileYaml,
  countingFetch,
  routerFromYaml,
  standardAliases,
  standardConfigYaml,
  standardEmulatorOptions,
  standardEnv,
  startStandardFixture,
  startTestEmulator,
  user,
} from '../helpers/gateway-harness.ts';

describe('client reuse', () => {
  it('many calls: one fetch per request, the same SDK user-agent, no SDK retries', async () => {
    const counter = countingFetch();
    const { emulator, router } = await startStandardFixture({ router: { fetch: counter.fetch } });

    for (let round = 0; round < 3; round += 1) {
      for (const alias of standardAliases) {
        await router.chat.completions.create({ model: alias, messages: user(`round ${round}`) });
      }
      const stream = await router.chat.completions.create({
        model: 'cf-authed',
        messages: user('s'),
        stream: true,
      });
      for await (const _chunk of stream) {
        // drain
      }
      await router.embeddings.create({ model: 'local:embed', input: 'x' });
    }

    const requests = emulator.requests;
    expect(requests).toHaveLength(3 * (standardAliases.length + 2));
    expect(counter.calls).toEqual(requests.map((request) => request.url));
    expect(new Set(requests.map((request) => request.headers['user-agent']))).toEqual(
      new Set([requests[0]?.headers['user-agent']]),
    );
    expect(requests[0]?.headers['user-agent']).toMatch(/^OpenAI\/JS \d/);
    expect(requests.every((request) => request.headers['x-stainless-retry-count'] === '0')).toBe(
      true,
    );
  });

  it("a failing request is sent once by the SDK; retries are the router's, each a fresh request", async () => {
    const counter = countingFetch();
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(
      standardConfigYaml({ cloudflare: emulator.url }).replace(
        'retry: { attempts: 1 }',
        'retry: { attempts: 3, initialDelay: 1ms, maxDelay: 5ms }',
      ),
      { fetch: counter.fetch },
    );
    emulator.inject({ fault: { type: 'status', status: 503 } });

    await expect(
      router.chat.completions.create({ model: 'cf-open', messages: user('hi') }),
    ).rejects.toMatchObject({ code: 'ALL_TARGETS_FAILED' });

    expect(emulator.requests.map((request) => request.status)).toEqual([503, 503, 503]);
    expect(counter.calls).toHaveLength(3);
    expect(emulator.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual([
      '0',
      '0',
      '0',
    ]);
  });

  it('the pool builds one client per gateway and credential, and returns it again (white-box)', () => {
    const table = compileYaml(
      `
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: http://127.0.0.1:9
    auth: { keys: { openai: "\${CF_OPEN_OPENAI_KEY}", groq: "\${CF_AUTHED_OPENAI_KEY}" } }
  stored:
    type: cloudflare
    accountId: acct
    gatewayId: byok
    baseURL: http://127.0.0.1:9
    auth: { token: "\${CF_STORED_TOKEN}", keys: stored }
  local: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1", apiKey: "\${LOCAL_KEY}" }
upstreams:
  a: { gateway: edge, model: openai/gpt-4o-mini }
  b: { gateway: edge, model: openai/gpt-4o }
  c: { gateway: edge, model: groq/llama-3.3-70b-versatile }
  d: { gateway: stored, model: openai/gpt-4o-mini }
  e: { gateway: stored, model: anthropic/claude-sonnet-4-5 }
  f: { gateway: local, model: m1 }
  g: { gateway: local, model: m2 }
models:
  all: { targets: [a, b, c, d, e, f, g] }
`,
      standardEnv,
    );
    const plan = createPlanResolver(table).resolve('all');
    const pool = createClientPool({ env: {} });
    const clients = plan.targets.map((target) => pool.get(target.setup));
    const [a, b, c, d, e, f, g] = clients;
    // Same gateway and key → same client; another provider key → another client.
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(e).toBe(d);
    expect(g).toBe(f);
    expect(new Set(clients).size).toBe(4);
    expect(pool.size).toBe(4);
    // Asked again (another call), nothing new is built.
    for (const target of plan.targets) pool.get(target.setup);
    expect(pool.size).toBe(4);
    // Every client is built the safe way.
    for (const client of clients) {
      expect(client?.maxRetries).toBe(0);
      expect(client?.organization).toBeNull();
      expect(client?.project).toBeNull();
    }
  });
});

describe('route information', () => {
  it('withRoute() names the upstream and carry cf-aig-log-id, cf-aig-cache-status, cf-aig-step', async () => {
    const { emulator, router } = await startStandardFixture();
    const { route } = await router.chat.completions
      .create({ model: 'cf-authed', messages: user('hi') })
      .withRoute();

    const request = emulator.requests[0];
    const logId = `emu-log-${String(request?.seq).padStart(6, '0')}`;
    expect(route).toMatchObject({
      model: 'cf-authed',
      upstream: 'cf-authed-mini',
      gateway: 'cf-authed',
      upstreamModel: 'openai/gpt-4o-mini',
    });
    expect(route.gatewayIds).toMatchObject({
      'cf-aig-log-id': logId,
      'cf-aig-cache-status': 'MISS',
      'cf-aig-step': '0',
      'x-request-id': `req_emu_${String(request?.seq).padStart(6, '0')}`,
    });
    expect(route.attempts).toHaveLength(1);
    expect(route.attempts[0]).toMatchObject({ status: 200, decision: 'success' });
    expect(route.attempts[0]?.gatewayIds?.['cf-aig-log-id']).toBe(logId);
  });

  it('withResponse() gives the SDK shape plus the route; withRoute() works on embeddings and streams', async () => {
    const { router } = await startStandardFixture();
    const { data, response, request_id, route } = await router.chat.completions
      .create({ model: 'cf-stored', messages: user('hi') })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('cf-aig-log-id')).toBe(route.gatewayIds['cf-aig-log-id']);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    expect(data.object).toBe('chat.completion');

    const embedding = await router.embeddings
      .create({ model: 'vercel:embed-1', input: 'x' })
      .withRoute();
    expect(embedding.data.object).toBe('list');
    expect(embedding.route).toMatchObject({ upstream: 'vercel:embed-1', gateway: 'vercel' });

    const streamed = await router.chat.completions
      .create({ model: 'cf-open', messages: user('hi'), stream: true })
      .withRoute();
    expect(streamed.route.gatewayIds['cf-aig-log-id']).toMatch(/^emu-log-\d{6}$/);
    for await (const _chunk of streamed.data) {
      // drain
    }
  });

  it('after a fallback, the route names the upstream that actually served the call', async () => {
    const emulator = await startTestEmulator(standardEmulatorOptions());
    const router = routerFromYaml(
      standardConfigYaml({ cloudflare: emulator.url }).replace(
        '  cf-open: cf-open-mini\n',
        '  cf-open:\n    targets: [cf-open-mini, openrouter-mini]\n',
      ),
    );
    emulator.inject({ match: { gateway: 'acct1/open' }, fault: { type: 'status', status: 500 } });

    const { data, route } = await router.chat.completions
      .create({ model: 'cf-open', messages: user('hi') })
      .withRoute();

    expect(data.choices[0]?.message.content).toBe('Echo from openai/gpt-4o-mini: hi');
    expect(route.upstream).toBe('openrouter-mini');
    expect(route.gateway).toBe('openrouter');
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.status])).toEqual([
      ['cf-open-mini', 500],
      ['openrouter-mini', 200],
    ]);
    expect(route.attempts[0]?.gatewayIds?.['cf-aig-log-id']).toBe('emu-log-000001');
    expect(route.gatewayIds).not.toHaveProperty('cf-aig-log-id');
    expect(emulator.requests.map((request) => request.path)).toEqual([
      '/v1/acct1/open/compat/chat/completions',
      '/api/v1/chat/completions',
    ]);
  });
});

describe('router.close()', () => {
  it('later calls reject with ROUTER_CLOSED and send nothing', async () => {
    const { emulator, router } = await startStandardFixture();
    await router.chat.completions.create({ model: 'local', messages: user('before') });
    await router.close();
    await expect(
      router.chat.completions.create({ model: 'local', messages: user('after') }),
    ).rejects.toMatchObject({ code: 'ROUTER_CLOSED' });
    await expect(router.embeddings.create({ model: 'local', input: 'x' })).rejects.toMatchObject({
      code: 'ROUTER_CLOSED',
    });
    expect(emulator.requests).toHaveLength(1);
  });
});

describe('resolved targets shared between aliases', () => {
  const yaml = `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1", apiKey: "\${LOCAL_KEY}" }
upstreams:
  m1: { gateway: local, model: m1, params: { temperature: 0.1 } }
  m2: { gateway: local, model: m2 }
models:
  first: { targets: [m1, m2] }
  second: { targets: [m2, m1] }
  tuned: { targets: [m1], params: { max_tokens: 64 } }
`;

  it('an alias without options or params of its own reuses the upstream target', () => {
    const resolver = createPlanResolver(compileYaml(yaml, { LOCAL_KEY: 'sk-local-0001' }));
    const first = resolver.resolve('first').targets;
    const second = resolver.resolve('second').targets;
    expect(second[1]).toBe(first[0]);
    expect(second[0]).toBe(first[1]);
    expect(first[0]?.body).toEqual({ temperature: 0.1 });
  });

  it('an alias with params of its own gets a target of its own; the shared one is unchanged', () => {
    const resolver = createPlanResolver(compileYaml(yaml, { LOCAL_KEY: 'sk-local-0001' }));
    const shared = resolver.resolve('first').targets[0];
    const tuned = resolver.resolve('tuned').targets[0];
    expect(tuned).not.toBe(shared);
    expect(tuned?.body).toEqual({ temperature: 0.1, max_tokens: 64 });
    expect(shared?.body).toEqual({ temperature: 0.1 });
  });
});
