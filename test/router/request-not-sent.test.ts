/**
 * A request that fails before a byte leaves the process is the caller's error: here, a body
 * nested deeper than `JSON.stringify` can recurse, which the SDK throws on while it builds the
 * request. No retry, no fallback, no health record, `INVALID_REQUEST` saying so, and a 400
 * through `serve`. Real SDK, real loopback servers; nothing is mocked.
 */
import type OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { isRouterError, RouterError } from '../../src/errors.ts';
import { routerFromYaml, user } from '../helpers/gateway-harness.ts';
import { type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';
import { type ServeStack, startServeStack } from '../serve/helpers.ts';

/** A message whose content nests far deeper than `JSON.stringify` recurses (about 200 KB). */
function unserialisable(): OpenAI.Chat.ChatCompletionMessageParam[] {
  let nested: Record<string, unknown> = {};
  for (let depth = 0; depth < 40_000; depth++) nested = { a: nested };
  return [{ role: 'user', content: nested as unknown as string }];
}

const answer = {
  status: 200,
  json: {
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  },
};

function chainYaml(server: ScriptedServer): string {
  return [
    'version: 1',
    'gateways:',
    `  gw: { type: openai-compatible, apiKey: local-key, baseURL: "${server.url}/v1" }`,
    'upstreams:',
    '  primary: { gateway: gw, model: primary-model }',
    '  fallback: { gateway: gw, model: fallback-model }',
    'models:',
    '  chain:',
    '    targets: [primary, fallback]',
    '    retry: { attempts: 3, initialDelay: 1ms }',
    '    policy: { bad_request: fallback }',
  ].join('\n');
}

describe('a request that never left the process', () => {
  it('fails at once with INVALID_REQUEST: no retry, no fallback, no request sent', async () => {
    const server = await startScriptedServer();
    server.script('primary-model', answer);
    server.script('fallback-model', answer);
    // Even a policy that passes bad requests on does not send this one anywhere.
    const router = routerFromYaml(chainYaml(server), { configEnv: {} });
    const failure = await router.chat.completions
      .create({ model: 'chain', messages: unserialisable() })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RouterError);
    expect(failure).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((failure as Error).message).toMatch(/^chain: the request never left the process \(/);
    expect((failure as RouterError).attempts).toEqual([
      expect.objectContaining({ upstream: 'primary', errorClass: 'bad_request', decision: 'fail' }),
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it('a header value the client refuses (a TypeError before sending) is the same', async () => {
    const server = await startScriptedServer();
    server.script('primary-model', answer);
    server.script('fallback-model', answer);
    const router = routerFromYaml(chainYaml(server), { configEnv: {} });
    const failure = await router.chat.completions
      .create({ model: 'chain', messages: user('hi') }, { headers: { 'x-trace': 'a\nb' } })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((failure as Error).message).toContain('never left the process');
    expect(server.requests).toHaveLength(0);
  });

  it('leaves no health record: the primary keeps serving after many such requests', async () => {
    const server = await startScriptedServer();
    server.script('primary-model', answer);
    server.script('fallback-model', answer);
    const router = routerFromYaml(chainYaml(server), {
      configEnv: {},
      health: { failureThreshold: 2 },
    });
    for (let index = 0; index < 5; index++) {
      const failure = await router.chat.completions
        .create({ model: 'chain', messages: unserialisable(), stream: index % 2 === 1 })
        .catch((error: unknown) => error);
      expect(isRouterError(failure) && failure.code).toBe('INVALID_REQUEST');
    }
    const { route } = await router.chat.completions
      .create({ model: 'chain', messages: user('hi') })
      .withRoute();
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
      ['primary', 'success'],
    ]);
    expect(server.requests.map((request) => request.body['model'])).toEqual(['primary-model']);
  });
});

describe('through serve', () => {
  let stack: ServeStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('answers 400, saying the request never left the process', async () => {
    stack = await startServeStack();
    // A client that sends the deep body as text (serve parses it; the router cannot send it on).
    let body = '"x"';
    for (let depth = 0; depth < 40_000; depth++) body = `{"a":${body}}`;
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer any' },
      body: `{"model":"fast","messages":[{"role":"user","content":${body}}]}`,
    });
    const text = await response.text();
    expect(response.status, text).toBe(400);
    expect(text).toContain('never left the process');
    expect(stack.emulator.requests).toHaveLength(0);
  });
});
