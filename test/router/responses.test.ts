/**
 * `router.responses.create` over real HTTP against the emulator, through Cloudflare's REST API
 * (`/ai/v1/responses`), Vercel (`/v1/responses`) and OpenRouter (`/api/v1/responses`): exact
 * URLs and headers, fallback across gateway kinds, retries, the deadline, streaming with a
 * fallback before the commit point and an interruption after it, and the refusal of targets
 * that cannot serve the Responses API.
 *
 * Sources for the endpoints: https://developers.cloudflare.com/ai-gateway/usage/rest-api/ (REST
 * `/ai/v1/responses`), https://vercel.com/docs/ai-gateway/sdks-and-apis/responses (Vercel),
 * https://openrouter.ai/docs/api/reference/responses/overview (OpenRouter, beta, stateless);
 * dynamic routes accept only chat completions:
 * https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/usage/.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../src/emulator/faults.ts';
import {
  AllTargetsFailedError,
  isRouterError,
  RouterError,
  StreamInterruptedError,
} from '../../src/errors.ts';
import type { Router, RouterOptions } from '../../src/router/types.ts';
import { gatewayHeaders, routerFromYaml, startTestEmulator } from '../helpers/gateway-harness.ts';

const token = 'cf-api-token-RESP1';
const env = { CLOUDFLARE_API_TOKEN: token, VERCEL_KEY: 'vck-RESP2', OPENROUTER_KEY: 'sk-or-RESP3' };

function configYaml(url: string, extra = '') {
  return `
version: 1
gateways:
  edge:
    type: cloudflare
    endpoint: rest
    accountId: acct
    gatewayId: prod
    baseURL: ${url}
    auth: { token: "\${CLOUDFLARE_API_TOKEN}", keys: stored, unifiedBilling: true }
  compat:
    type: cloudflare
    accountId: acct
    gatewayId: prod
    baseURL: ${url}
    auth: { token: t, keys: stored }
  vercel: { type: vercel, apiKey: "\${VERCEL_KEY}", baseURL: "${url}/v1" }
  openrouter: { type: openrouter, apiKey: "\${OPENROUTER_KEY}", baseURL: "${url}/api/v1" }
upstreams:
  cf-mini: { gateway: edge, model: openai/gpt-4o-mini }
  vercel-sonnet: { gateway: vercel, model: anthropic/claude-sonnet-4.5 }
  or-mini: { gateway: openrouter, model: openai/gpt-4o-mini }
  compat-mini: { gateway: compat, model: openai/gpt-4o-mini }
  cf-route: { gateway: edge, model: dynamic/support }
models:
  chain:
    targets: [cf-mini, vercel-sonnet]
    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 5ms }
    timeout: 10s
  openrouter: or-mini
  mixed: { targets: [cf-mini, compat-mini] }
  routed: cf-route
${extra}
`;
}

/** Reads a Responses stream to its end or its failure: the text deltas read, and what it threw. */
async function readText(
  stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>,
): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    return { text, error: undefined };
  } catch (error) {
    return { text, error };
  }
}

async function setup(extra = '', options: RouterOptions = {}) {
  const emulator = await startTestEmulator({
    cloudflare: { apiTokens: [token] },
    apiKeys: [env.VERCEL_KEY, env.OPENROUTER_KEY],
  });
  const router = routerFromYaml(configYaml(emulator.url, extra), { ...options, configEnv: env });
  return { emulator, router };
}

describe('responses.create, not streaming', () => {
  it('Cloudflare REST: POST .../ai/v1/responses with the API token and gateway id', async () => {
    const { emulator, router } = await setup();
    const { data, route } = await router.responses
      .create({ model: 'chain', input: 'hello responses' })
      .withRoute();
    expect(data.output_text).toBe('Echo from openai/gpt-4o-mini: hello responses');
    expect(data.status).toBe('completed');
    expect(route.upstream).toBe('cf-mini');
    // The Responses API counts input_tokens / output_tokens; the route reads them as usage.
    expect(route.usage).toEqual({
      inputTokens: data.usage?.input_tokens,
      outputTokens: data.usage?.output_tokens,
      totalTokens: data.usage?.total_tokens,
    });
    const [request] = emulator.requests;
    expect(request?.path).toBe('/client/v4/accounts/acct/ai/v1/responses');
    expect(request?.body).toEqual({ model: 'openai/gpt-4o-mini', input: 'hello responses' });
    expect(gatewayHeaders(request as never)).toEqual({
      authorization: `Bearer ${token}`,
      'cf-aig-gateway-id': 'prod',
    });
    expect(request?.credential).toBe('unified-billing');
  });

  it('falls back from Cloudflare to Vercel after a retried 500, with the attempt log', async () => {
    const { emulator, router } = await setup();
    emulator.inject({
      match: { model: 'openai/gpt-4o-mini', path: '/responses' },
      fault: { type: 'status', status: 500 },
    });
    const { data, route } = await router.responses
      .create({ model: 'chain', input: [{ role: 'user', content: 'fall back' }] })
      .withRoute();
    expect(data.output_text).toBe('Echo from anthropic/claude-sonnet-4.5: fall back');
    expect(route.upstream).toBe('vercel-sonnet');
    expect(
      route.attempts.map((attempt) => [attempt.upstream, attempt.status, attempt.decision]),
    ).toEqual([
      ['cf-mini', 500, 'retry'],
      ['cf-mini', 500, 'fallback'],
      ['vercel-sonnet', 200, 'success'],
    ]);
    expect(emulator.requests.map((request) => request.path)).toEqual([
      '/client/v4/accounts/acct/ai/v1/responses',
      '/client/v4/accounts/acct/ai/v1/responses',
      '/v1/responses',
    ]);
    expect(emulator.requests[2]?.headers['authorization']).toBe(`Bearer ${env.VERCEL_KEY}`);
  });

  it('a 200 whose body is not a response fails the attempt and falls back', async () => {
    const { emulator, router } = await setup();
    emulator.inject({
      match: { model: 'openai/gpt-4o-mini', path: '/responses' },
      fault: { type: 'status', status: 200, body: { ok: true } },
    });
    const { data, route } = await router.responses
      .create({ model: 'chain', input: 'not a response' })
      .withRoute();
    expect(data.output_text).toBe('Echo from anthropic/claude-sonnet-4.5: not a response');
    expect(route.attempts[0]).toMatchObject({ upstream: 'cf-mini', status: 200 });
    expect(route.attempts[0]?.decision).not.toBe('success');
  });

  it('OpenRouter: POST /api/v1/responses with its key', async () => {
    const { emulator, router } = await setup();
    const response = await router.responses.create({ model: 'openrouter', input: 'hi' });
    expect(response.output_text).toBe('Echo from openai/gpt-4o-mini: hi');
    expect(emulator.requests[0]?.path).toBe('/api/v1/responses');
    expect(emulator.requests[0]?.headers['authorization']).toBe(`Bearer ${env.OPENROUTER_KEY}`);
  });

  it('the call deadline covers retries and fallbacks', async () => {
    const { emulator, router } = await setup(`  slow:
    targets: [cf-mini, vercel-sonnet]
    timeout: 1s`);
    emulator.inject({ fault: { type: 'hang' } });
    const error = await router.responses
      .create({ model: 'slow', input: 'hi' })
      .catch((caught: unknown) => caught);
    // The deadline (shared out among the targets' attempts) ends the call: no answer, and
    // every attempt made stopped on time.
    expect(isRouterError(error)).toBe(true);
    expect(['DEADLINE_EXCEEDED', 'ALL_TARGETS_FAILED']).toContain((error as RouterError).code);
    const attempts = (error as { attempts?: readonly { errorClass?: string }[] }).attempts ?? [];
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) expect(attempt.errorClass).toBe('timeout');
  });
});

describe('responses.create, streaming', () => {
  it('streams typed events ending in response.completed, usage in the route at the end', async () => {
    const { router } = await setup();
    const { data: stream, route } = await router.responses
      .create({ model: 'chain', input: 'stream me', stream: true })
      .withRoute();
    const types: string[] = [];
    let text = '';
    let outputTokens: number | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') outputTokens = event.response.usage?.output_tokens;
    }
    expect(outputTokens).toBeGreaterThan(0);
    expect(route.usage?.outputTokens).toBe(outputTokens);
    expect(text).toBe('Echo from openai/gpt-4o-mini: stream me');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  it('an error event before the first delta falls back to the next gateway', async () => {
    const { emulator, router } = await setup();
    emulator.inject({
      match: { model: 'openai/gpt-4o-mini' },
      fault: { type: 'stream-error', afterChunks: 0 },
    });
    const { data, route } = await router.responses
      .create({ model: 'chain', input: 'before commit', stream: true })
      .withRoute();
    const { text, error } = await readText(data);
    expect(error).toBeUndefined();
    expect(text).toBe('Echo from anthropic/claude-sonnet-4.5: before commit');
    expect(route.upstream).toBe('vercel-sonnet');
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
      ['cf-mini', 'retry'],
      ['cf-mini', 'fallback'],
      ['vercel-sonnet', 'success'],
    ]);
  });

  it('a cut after commit is a StreamInterruptedError with the partial text, and no second answer', async () => {
    const { emulator, router } = await setup();
    emulator.inject({ fault: { type: 'stream-cut', afterChunks: 2 } });
    const stream = await router.responses.create({
      model: 'chain',
      input: 'cut me off',
      stream: true,
    });
    const { text, error } = await readText(stream);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialContent).toBe('Echo from');
    expect(text).toBe('Echo from');
    expect(emulator.requests).toHaveLength(1);
  });

  it('a stream without its terminal event is interrupted, never a clean end', async () => {
    const { emulator, router } = await setup();
    emulator.inject({ fault: { type: 'stream-no-done' } });
    const stream = await router.responses.create({ model: 'chain', input: 'no end', stream: true });
    const { error } = await readText(stream);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialContent).toBe(
      'Echo from openai/gpt-4o-mini: no end',
    );
  });
});

describe('responses.create, streaming under the idle limit (one watch from the request to the end)', () => {
  const idleAlias = `
  quick:
    targets: [cf-mini, vercel-sonnet]
    timeout: { total: 10s, idle: 200ms }
  eager:
    targets: [cf-mini, vercel-sonnet]
    retry: { attempts: 1 }
    timeout: { total: 10s, firstToken: 300ms, idle: 5s }
`;

  /** A router whose primary (cf-mini) plays `fault` on every Responses request. */
  async function faultyPrimary(fault: Fault) {
    const { emulator, router } = await setup(idleAlias);
    emulator.inject({ match: { model: 'openai/gpt-4o-mini', path: '/responses' }, fault });
    return { emulator, router };
  }

  /** Streams `input` through `model`; the text deltas joined, and the route. */
  async function streamText(router: Router, model: string, input: string) {
    const { data, route } = await router.responses
      .create({ model, input, stream: true })
      .withRoute();
    const { text, error } = await readText(data);
    expect(error).toBeUndefined();
    return { text, route };
  }

  it('an upstream silent before its first delta is a timed-out attempt: the next target answers', async () => {
    const { router } = await faultyPrimary({ type: 'stream-stall', afterChunks: 0, ms: 5000 });
    const { text, route } = await streamText(router, 'quick', 'silent first');
    expect(text).toBe('Echo from anthropic/claude-sonnet-4.5: silent first');
    expect(route.upstream).toBe('vercel-sonnet');
    expect(route.attempts[0]).toMatchObject({ upstream: 'cf-mini', errorClass: 'timeout' });
  });

  it('the first-token limit covers the events before the first delta: the next target answers', async () => {
    // Opening events arrive at once, then nothing: alive (idle 5 s) but no content in 300 ms.
    const { router } = await faultyPrimary({ type: 'stream-stall', afterChunks: 0, ms: 5000 });
    const { text, route } = await streamText(router, 'eager', 'first token');
    expect(text).toBe('Echo from anthropic/claude-sonnet-4.5: first token');
    expect(route.attempts[0]).toMatchObject({ upstream: 'cf-mini', errorClass: 'timeout' });
    expect(route.attempts[0]?.message).toContain('no content within 300 ms');
  });

  it('SSE comment lines from a slow but live upstream keep the idle limit from firing', async () => {
    // Comment lines are part of SSE (https://html.spec.whatwg.org/multipage/server-sent-events.html:
    // a line starting with a colon); OpenRouter sends them while a model works
    // (https://openrouter.ai/docs/api-reference/streaming). The SDK drops them before the router
    // sees an event: the bytes below it are what keep the stream alive.
    const { emulator, router } = await faultyPrimary({ type: 'keep-alive', ms: 700, everyMs: 100 });
    const { text, route } = await streamText(router, 'quick', 'slow but live');
    expect(text).toBe('Echo from openai/gpt-4o-mini: slow but live');
    expect(route.upstream).toBe('cf-mini');
    expect(emulator.requests).toHaveLength(1);
  });

  it('a stall after the first delta interrupts the stream with what was read, once the limit passes', async () => {
    const { emulator, router } = await faultyPrimary({
      type: 'stream-stall',
      afterChunks: 2,
      ms: 5000,
    });
    const stream = await router.responses.create({
      model: 'quick',
      input: 'stall me',
      stream: true,
    });
    const { text, error } = await readText(stream);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).message).toContain('no event for 200 ms');
    expect((error as StreamInterruptedError).partialContent).toBe(text);
    expect(text).toBe('Echo from');
    // The attempt log of an interrupted stream names the serving attempt.
    expect((error as StreamInterruptedError).attempts.at(-1)).toMatchObject({
      upstream: 'cf-mini',
      decision: 'success',
    });
    expect(emulator.requests).toHaveLength(1);
  });
});

describe('responses.create refuses targets that cannot serve it, before any request', () => {
  it('a Cloudflare compat target: INVALID_REQUEST naming the upstream and the fix', async () => {
    const { emulator, router } = await setup();
    const error = await router.responses
      .create({ model: 'mixed', input: 'hi' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RouterError);
    expect((error as RouterError).code).toBe('INVALID_REQUEST');
    expect((error as RouterError).message).toBe(
      'mixed: responses.create needs every target to serve the Responses API; compat-mini: gateway "compat" uses Cloudflare\'s compat endpoint, which has no Responses API; set endpoint: rest on it. Use chat.completions.create, or an alias whose targets all serve it',
    );
    expect(emulator.requests).toHaveLength(0);
    // The same alias still serves chat.
    await router.chat.completions.create({
      model: 'mixed',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('a dynamic route: routes accept only chat completions', async () => {
    const { emulator, router } = await setup();
    const error = await router.responses
      .create({ model: 'routed', input: 'hi' })
      .withRoute()
      .catch((caught: unknown) => caught);
    expect((error as RouterError).message).toContain(
      'cf-route: "dynamic/support" is a dynamic route, and Cloudflare routes accept only chat completions',
    );
    expect(error).not.toBeInstanceOf(AllTargetsFailedError);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('responses.create: hooks, withResponse() and the caller', () => {
  it('reports every attempt, the retry, the fallback and the success to the hooks', async () => {
    const seen: string[] = [];
    const { emulator, router } = await setup('', {
      onAttempt: (state) =>
        seen.push(`attempt ${state.attempt.upstream} ${state.attempt.decision}`),
      onRetry: (state) => seen.push(`retry ${state.attempt.upstream}`),
      onFallback: (state) => seen.push(`fallback ${state.from} → ${state.to}`),
      onSuccess: (state) => seen.push(`success ${state.route.upstream}`),
    });
    emulator.inject({
      match: { model: 'openai/gpt-4o-mini', path: '/responses' },
      fault: { type: 'status', status: 503 },
    });
    const { data, response, route } = await router.responses
      .create({ model: 'chain', input: 'hooked' })
      .withResponse();
    expect(data.output_text).toBe('Echo from anthropic/claude-sonnet-4.5: hooked');
    expect(response.status).toBe(200);
    expect(route.upstream).toBe('vercel-sonnet');
    expect(seen).toEqual([
      'attempt cf-mini retry',
      'retry cf-mini',
      'attempt cf-mini fallback',
      'fallback cf-mini → vercel-sonnet',
      'attempt vercel-sonnet success',
      'success vercel-sonnet',
    ]);
  });

  it("the caller's signal stops a stream after its commit point: ABORTED, not an interruption", async () => {
    const { router } = await setup();
    const controller = new AbortController();
    const stream = await router.responses.create(
      { model: 'chain', input: 'one two three four five six', stream: true },
      { signal: controller.signal },
    );
    const error = await (async () => {
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') controller.abort();
      }
    })().catch((caught: unknown) => caught);
    expect(isRouterError(error) && error.code).toBe('ABORTED');
    expect(error).not.toBeInstanceOf(StreamInterruptedError);
  });
});
