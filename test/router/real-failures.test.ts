/**
 * The failures real gateways send, played byte for byte by a plain loopback server (not the
 * project's emulator), through the real `openai` SDK. Each case names the public source of the
 * response shape it plays. Each failed on the router before classification was re-derived from
 * these responses.
 */
import { describe, expect, it } from 'vitest';
import { AllTargetsFailedError, type AttemptRecord, RouterError } from '../../src/errors.ts';
import type { RouteInfo } from '../../src/router/types.ts';
import { routerFromYaml, user } from '../helpers/gateway-harness.ts';
import {
  type ScriptedResponse,
  type ScriptedServer,
  sseData,
  startScriptedServer,
} from '../helpers/scripted-server.ts';

type GatewayKind = 'cloudflare' | 'openrouter' | 'vercel' | 'openai-compatible';

function gatewayYaml(kind: GatewayKind, url: string): string {
  switch (kind) {
    case 'cloudflare':
      return `{ type: cloudflare, accountId: acct, gatewayId: gw, baseURL: "${url}", auth: { token: t0ken, keys: stored } }`;
    case 'openrouter':
      return `{ type: openrouter, apiKey: or-key, baseURL: "${url}/api/v1" }`;
    case 'vercel':
      return `{ type: vercel, apiKey: v-key, baseURL: "${url}/v1" }`;
    default:
      return `{ type: openai-compatible, apiKey: local-key, baseURL: "${url}/v1" }`;
  }
}

const primary = 'openai/primary';
const fallback = 'openai/fallback';

/** A router whose alias `chain` tries `primary` then `fallback` on one gateway of a kind. */
function chainRouter(options: {
  server: ScriptedServer;
  kind?: GatewayKind;
  alias?: string;
  onSuccess?: (route: RouteInfo) => void;
}) {
  const yaml = [
    'version: 1',
    'gateways:',
    `  gw: ${gatewayYaml(options.kind ?? 'openai-compatible', options.server.url)}`,
    'upstreams:',
    `  primary: { gateway: gw, model: ${primary} }`,
    `  fallback: { gateway: gw, model: ${fallback} }`,
    'models:',
    '  chain:',
    '    targets: [primary, fallback]',
    `    ${options.alias ?? 'retry: { attempts: 2, initialDelay: 1ms, maxDelay: 1s }'}`,
  ].join('\n');
  return routerFromYaml(yaml, {
    configEnv: {},
    health: false,
    ...(options.onSuccess === undefined
      ? {}
      : { onSuccess: (state) => options.onSuccess?.(state.route) }),
  });
}

async function plainCall(server: ScriptedServer, response: ScriptedResponse, kind?: GatewayKind) {
  server.script(primary, response);
  const successes: RouteInfo[] = [];
  const router = chainRouter({
    server,
    ...(kind === undefined ? {} : { kind }),
    onSuccess: (route) => successes.push(route),
  });
  const outcome = await router.chat.completions
    .create({ model: 'chain', messages: user('hi') })
    .withRoute()
    .catch((error: unknown) => error);
  return { outcome, successes };
}

function attemptsOf(outcome: unknown): readonly AttemptRecord[] {
  if (outcome instanceof AllTargetsFailedError) return outcome.attempts;
  return (outcome as { route: RouteInfo }).route.attempts;
}

describe('a 200 whose body is not a completion', () => {
  const notAnswers: [string, ScriptedResponse][] = [
    // A proxy's HTML page with status 200 (captured for 5xx in musistudio/claude-code-router#1159;
    // the SDK returns any non-JSON 200 body as a string).
    [
      'an HTML page',
      {
        headers: { 'content-type': 'text/html' },
        body: '<!DOCTYPE html><html><body>Bad gateway</body></html>',
      },
    ],
    // OpenRouter documents cold starts that answer 200 with no content
    // (https://openrouter.ai/docs/api-reference/errors).
    ['an empty JSON body', { headers: { 'content-type': 'application/json' }, body: '' }],
    ['a JSON null', { headers: { 'content-type': 'application/json' }, body: 'null' }],
    ['a bare number', { headers: { 'content-type': 'application/json' }, body: '42' }],
    ['an object without choices', { json: { id: 'x', object: 'chat.completion' } }],
  ];
  for (const [name, response] of notAnswers) {
    it(`${name}: classed invalid_response, logged, passed to the next target, onSuccess only for the real answer`, async () => {
      const server = await startScriptedServer();
      const { outcome, successes } = await plainCall(server, response);
      expect(outcome).not.toBeInstanceOf(Error);
      const { data, route } = outcome as { data: { choices: unknown[] }; route: RouteInfo };
      expect(route.upstream).toBe('fallback');
      expect(data.choices).toHaveLength(1);
      expect(route.attempts[0]).toMatchObject({
        upstream: 'primary',
        status: 200,
        errorClass: 'invalid_response',
        decision: 'fallback',
      });
      expect(successes.map((success) => success.upstream)).toEqual(['fallback']);
      expect(server.requestsFor(primary)).toHaveLength(1);
    });
  }
});

describe('a 200 that carries an error envelope', () => {
  it('OpenRouter: a provider failing after processing started is a server error, retried then passed on', async () => {
    // https://openrouter.ai/docs/api-reference/errors: the status is 200 once processing has
    // started; the error is in the body, with a numeric code.
    const server = await startScriptedServer();
    const { outcome } = await plainCall(
      server,
      { json: { error: { message: 'Provider disconnected', code: 502 }, user_id: 'user_1' } },
      'openrouter',
    );
    const attempts = attemptsOf(outcome);
    expect(attempts.map((entry) => [entry.upstream, entry.errorClass, entry.decision])).toEqual([
      ['primary', 'server', 'retry'],
      ['primary', 'server', 'fallback'],
      ['fallback', undefined, 'success'],
    ]);
    expect(attempts[0]?.message).toContain('Provider disconnected');
    expect(server.requestsFor(primary)).toHaveLength(2);
  });

  it('a choice that finished with "error" (OpenRouter, BerriAI/litellm#23273) is a failure, not an answer', async () => {
    const server = await startScriptedServer();
    const { outcome } = await plainCall(
      server,
      {
        json: {
          id: 'gen-1',
          object: 'chat.completion',
          created: 1,
          model: primary,
          choices: [
            {
              index: 0,
              finish_reason: 'error',
              native_finish_reason: 'MALFORMED_FUNCTION_CALL',
              message: { role: 'assistant', content: null },
            },
          ],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        },
      },
      'openrouter',
    );
    const attempts = attemptsOf(outcome);
    expect(attempts[0]).toMatchObject({ upstream: 'primary', errorClass: 'server' });
    expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
  });
});

describe('a connection cut after the headers', () => {
  it('half-written JSON, then the socket closes: network, retried, then the next target', async () => {
    const server = await startScriptedServer();
    const { outcome } = await plainCall(server, {
      headers: { 'content-type': 'application/json', 'content-length': '400' },
      body: '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"mess',
      finish: 'destroy',
    });
    const attempts = attemptsOf(outcome);
    expect(attempts.map((entry) => [entry.upstream, entry.errorClass, entry.decision])).toEqual([
      ['primary', 'network', 'retry'],
      ['primary', 'network', 'fallback'],
      ['fallback', undefined, 'success'],
    ]);
  });

  it('a corrupt gzip body: network, passed on', async () => {
    const server = await startScriptedServer();
    const { outcome } = await plainCall(server, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      bodyBase64: Buffer.from('this is not gzip at all, but says it is').toString('base64'),
    });
    const attempts = attemptsOf(outcome);
    expect(attempts[0]).toMatchObject({ upstream: 'primary', errorClass: 'network' });
    expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
  });

  it('a stream dropped after its role chunk, before any content: network, passed on', async () => {
    const server = await startScriptedServer();
    server.script(primary, {
      sse: [
        sseData({
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: primary,
          choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
        }),
      ],
      finish: 'destroy',
    });
    const router = chainRouter({ server });
    const { data, route } = await router.chat.completions
      .create({ model: 'chain', messages: user('hi'), stream: true })
      .withRoute();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(`answer from ${fallback}`);
    expect(route.attempts[0]).toMatchObject({ upstream: 'primary', errorClass: 'network' });
  });
});

describe("OpenRouter's numeric codes", () => {
  it('a 400 context-length error (code 400, metadata) fires the context_length policy', async () => {
    // Shape: https://openrouter.ai/docs/api-reference/errors; message as reported in
    // Aider-AI/aider#3721 and musistudio/claude-code-router#252.
    const server = await startScriptedServer();
    const { outcome } = await plainCall(
      server,
      {
        status: 400,
        json: {
          error: {
            message:
              "This endpoint's maximum context length is 131072 tokens. However, you requested about 150000 tokens (149000 of text input, 1000 in the output). Please reduce the length of either one.",
            code: 400,
            metadata: { provider_name: null },
          },
          user_id: 'user_1',
        },
      },
      'openrouter',
    );
    const attempts = attemptsOf(outcome);
    expect(attempts[0]).toMatchObject({ errorClass: 'context_length', decision: 'fallback' });
    expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
  });

  it('a 402 (out of credits on that gateway) moves to the next target', async () => {
    // https://openrouter.ai/docs/api-reference/errors (402: insufficient credits); message shape
    // as reported in astrio-labs/forall#76.
    const server = await startScriptedServer();
    const { outcome } = await plainCall(
      server,
      {
        status: 402,
        json: {
          error: {
            message: 'This request requires more credits, or fewer max_tokens.',
            code: 402,
            metadata: { provider_name: null },
          },
        },
      },
      'openrouter',
    );
    const attempts = attemptsOf(outcome);
    expect(attempts[0]).toMatchObject({ status: 402, errorClass: 'payment', decision: 'fallback' });
    expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
    expect(server.requestsFor(primary)).toHaveLength(1);
  });
});

describe("Cloudflare's gateway-level errors", () => {
  const envelope = (code: number, message: string, httpCode = 400) => ({
    success: false,
    result: [],
    messages: [],
    error: [{ code, message }],
    name: 'AiGatewayError',
    httpCode,
    internalCode: code,
    message,
  });
  const cases: [string, ScriptedResponse][] = [
    // 400 + 2001: cloudflare/ai packages/ai-gateway-provider/test/errors.test.ts.
    [
      '2001 (the gateway does not exist)',
      {
        status: 400,
        json: envelope(2001, 'Please configure AI Gateway in the Cloudflare dashboard'),
      },
    ],
    // 2040: unknown cf-aig-byok-alias (https://developers.cloudflare.com/ai-gateway/configuration/bring-your-own-keys/).
    [
      '2040 (unknown BYOK alias)',
      {
        status: 400,
        json: envelope(
          2040,
          "Provider 'openai' has no BYOK credential named 'team-b'. Configured aliases: 'default'",
        ),
      },
    ],
    // cf-aig-no-wholesale refusal: 400 (Cloudflare changelog 2026-09-14, "require provider
    // credentials"); the body is not documented, so the gateway envelope is assumed.
    [
      'the cf-aig-no-wholesale refusal',
      {
        status: 400,
        json: envelope(
          2042,
          'No provider credentials and wholesale billing is disabled for this request',
        ),
      },
    ],
  ];
  for (const [name, response] of cases) {
    it(`${name}: class gateway, moves to the next target`, async () => {
      const server = await startScriptedServer();
      const { outcome } = await plainCall(server, response, 'cloudflare');
      const attempts = attemptsOf(outcome);
      expect(attempts[0]).toMatchObject({
        status: 400,
        errorClass: 'gateway',
        decision: 'fallback',
      });
      expect(attempts.at(-1)).toMatchObject({ upstream: 'fallback', decision: 'success' });
      expect(server.requestsFor(primary)).toHaveLength(1);
    });
  }
});

describe('streams', () => {
  const chunk = (choices: unknown[]) =>
    sseData({ id: 'c', object: 'chat.completion.chunk', created: 1, model: primary, choices });

  it('SSE comment lines from a slow but live upstream keep the idle limit from firing', async () => {
    // https://openrouter.ai/docs/api-reference/streaming: ": OPENROUTER PROCESSING" comments.
    const server = await startScriptedServer();
    const comments = Array.from({ length: 12 }, () => [
      ': OPENROUTER PROCESSING\n\n',
      { waitMs: 200 },
    ]).flat();
    server.script(primary, {
      sse: [
        ...comments,
        chunk([{ index: 0, delta: { role: 'assistant', content: 'late' }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
        'data: [DONE]\n\n',
      ],
    });
    const router = chainRouter({
      server,
      kind: 'openrouter',
      alias: 'timeout: { idle: 1s }',
    });
    const { data, route } = await router.chat.completions
      .create({ model: 'chain', messages: user('hi'), stream: true })
      .withRoute();
    let text = '';
    for await (const part of data) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('late');
    expect(route.upstream).toBe('primary');
    expect(server.requests).toHaveLength(1);
  });

  it('a chunk with finish_reason "error" and no top-level error interrupts the stream', async () => {
    const server = await startScriptedServer();
    server.script(primary, {
      sse: [
        chunk([{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }]),
        chunk([{ index: 0, delta: { content: '' }, finish_reason: 'error' }]),
        'data: [DONE]\n\n',
      ],
    });
    const router = chainRouter({ server });
    const stream = await router.chat.completions.create({
      model: 'chain',
      messages: user('hi'),
      stream: true,
    });
    const failure = await (async () => {
      for await (const _ of stream) {
        // read to the end
      }
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RouterError);
    expect((failure as RouterError).code).toBe('STREAM_INTERRUPTED');
    expect((failure as { partialContent: string }).partialContent).toBe('Hel');
  });

  it('a finish_reason "error" before any content is a failed attempt: the next target answers', async () => {
    const server = await startScriptedServer();
    server.script(primary, {
      sse: [
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'error' }]),
        'data: [DONE]\n\n',
      ],
    });
    const router = chainRouter({ server });
    const { data, route } = await router.chat.completions
      .create({ model: 'chain', messages: user('hi'), stream: true })
      .withRoute();
    let text = '';
    for await (const part of data) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe(`answer from ${fallback}`);
    expect(route.attempts[0]).toMatchObject({ upstream: 'primary', errorClass: 'server' });
  });

  it('n: 2 where only choice 0 finished is an interruption, not a complete stream', async () => {
    const server = await startScriptedServer();
    server.script(primary, {
      sse: [
        chunk([
          { index: 0, delta: { role: 'assistant', content: 'A' }, finish_reason: null },
          { index: 1, delta: { role: 'assistant', content: 'B' }, finish_reason: null },
        ]),
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
        'data: [DONE]\n\n',
      ],
    });
    const router = chainRouter({ server });
    const stream = await router.chat.completions.create({
      model: 'chain',
      messages: user('hi'),
      stream: true,
      n: 2,
    });
    const failure = await (async () => {
      for await (const _ of stream) {
        // read to the end
      }
    })().catch((error: unknown) => error);
    expect((failure as RouterError).code).toBe('STREAM_INTERRUPTED');
  });

  it('n: 2 where every choice finished is complete', async () => {
    const server = await startScriptedServer();
    const router = chainRouter({ server });
    const stream = await router.chat.completions.create({
      model: 'chain',
      messages: user('hi'),
      stream: true,
      n: 2,
    });
    const finished = new Set<number>();
    for await (const part of stream) {
      for (const choice of part.choices) if (choice.finish_reason) finished.add(choice.index);
    }
    expect([...finished].sort()).toEqual([0, 1]);
  });

  it('stream.controller.abort() by the caller ends the stream with ABORTED', async () => {
    const server = await startScriptedServer();
    server.script(primary, {
      sse: [
        chunk([{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }]),
        { waitMs: 5000 },
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      ],
    });
    const router = chainRouter({ server });
    const stream = await router.chat.completions.create({
      model: 'chain',
      messages: user('hi'),
      stream: true,
    });
    const failure = await (async () => {
      for await (const _ of stream) stream.controller.abort();
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RouterError);
    expect((failure as RouterError).code).toBe('ABORTED');
  });
});

describe('a plain connection failure', () => {
  it('is logged as a connection failure, not as a stream error', async () => {
    const server = await startScriptedServer();
    const url = server.url;
    await server.close();
    const yaml = [
      'version: 1',
      'gateways:',
      `  gw: { type: openai-compatible, baseURL: "${url}/v1" }`,
      'upstreams:',
      '  only: { gateway: gw, model: m }',
      'models:',
      '  one: { targets: [only], retry: { attempts: 1 } }',
    ].join('\n');
    const router = routerFromYaml(yaml, { configEnv: {}, health: false });
    const failure = await router.chat.completions
      .create({ model: 'one', messages: user('hi') })
      .catch((error: unknown) => error);
    const attempt = (failure as AllTargetsFailedError).attempts[0];
    expect(attempt?.errorClass).toBe('network');
    expect(attempt?.message).not.toContain('stream error');
    expect(attempt?.message).toMatch(/connection/i);
  });
});
