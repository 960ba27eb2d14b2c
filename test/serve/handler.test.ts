/**
 * The serve handler's own rules, called as `(Request) => Promise<Response>` and over HTTP:
 * client keys (constant-time compare), body limit, OpenAI error shapes and statuses, routes and
 * methods, and that no upstream secret reaches a client or a log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientKeys, presentedKey } from '../../src/serve/client-keys.ts';
import { createServeHandler, type ServeRequestLog } from '../../src/serve/create-handler.ts';
import { type ServeStack, startServeStack, upstreamKey } from './helpers.ts';

describe('client keys', () => {
  it('accepts exactly the configured keys', () => {
    const keys = createClientKeys(['key-one', 'key-two-longer']);
    expect(keys.required).toBe(true);
    expect(keys.accepts('key-one')).toBe(true);
    expect(keys.accepts('key-two-longer')).toBe(true);
    for (const wrong of [
      'key-on',
      'key-one ',
      'key-onf',
      '',
      'KEY-ONE',
      'key-two-longe',
      undefined,
    ])
      expect(keys.accepts(wrong)).toBe(false);
  });

  it('no keys: not required; blank keys are ignored', () => {
    expect(createClientKeys([]).required).toBe(false);
    expect(createClientKeys(['', '']).required).toBe(false);
  });

  it('reads Bearer, api-key and x-api-key', () => {
    expect(presentedKey(new Headers({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(presentedKey(new Headers({ authorization: 'bearer  abc ' }))).toBe('abc');
    expect(presentedKey(new Headers({ authorization: 'Basic abc' }))).toBeUndefined();
    expect(presentedKey(new Headers({ 'api-key': 'k' }))).toBe('k');
    expect(presentedKey(new Headers({ 'x-api-key': 'k' }))).toBe('k');
    expect(presentedKey(new Headers())).toBeUndefined();
  });
});

describe('over HTTP', () => {
  let stack: ServeStack;
  const logs: ServeRequestLog[] = [];

  beforeAll(async () => {
    stack = await startServeStack({
      handler: { keys: ['client-key-1'], maxBodyBytes: 2_000, onRequest: (log) => logs.push(log) },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const call = (path: string, init: RequestInit & { key?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== null) headers.set('authorization', `Bearer ${init.key ?? 'client-key-1'}`);
    return fetch(`${stack.server.url}${path}`, { ...init, headers });
  };
  const chat = (body: unknown, init: RequestInit & { key?: string | null } = {}) =>
    call('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...init,
    });
  const expectError = async (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error['code']).toBe(code);
    expect(typeof body.error['message']).toBe('string');
    return body.error;
  };

  it('without a key: 401 with WWW-Authenticate, the upstream never asked', async () => {
    stack.emulator.clearRequests();
    const response = await chat({ model: 'fast', messages: [] }, { key: null });
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    const error = await expectError(response, 401, 'invalid_api_key');
    expect(error['type']).toBe('authentication_error');
    await expectError(
      await chat({ model: 'fast', messages: [] }, { key: 'client-key-2' }),
      401,
      'invalid_api_key',
    );
    expect(await (await call('/v1/models', { key: 'nope' })).json()).toHaveProperty('error');
    expect(stack.emulator.requests).toHaveLength(0);
  });

  it('with the key: served; /healthz needs none', async () => {
    const response = await chat({ model: 'fast', messages: [{ role: 'user', content: 'k' }] });
    expect(response.status).toBe(200);
    expect((await call('/healthz', { key: null })).status).toBe(200);
  });

  it('a body over the limit: 413, by content-length or while streaming in', async () => {
    const big = JSON.stringify({
      model: 'fast',
      messages: [{ role: 'user', content: 'x'.repeat(5_000) }],
    });
    await expectError(await chat(big), 413, 'request_too_large');
    // Chunked, no content-length: cut off while reading.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let index = 0; index < 10; index += 1)
          controller.enqueue(new TextEncoder().encode('x'.repeat(500)));
        controller.close();
      },
    });
    await expectError(
      await chat(undefined, { body: chunks, duplex: 'half' } as RequestInit),
      413,
      'request_too_large',
    );
  });

  it('bad JSON, a non-object and a missing model: 400', async () => {
    await expectError(await chat('{"model": '), 400, 'invalid_json');
    await expectError(await chat('[1,2]'), 400, 'invalid_json');
    const missing = await expectError(await chat({ messages: [] }), 400, 'missing_model');
    expect(missing['param']).toBe('model');
  });

  it('unknown routes 404, wrong methods 405', async () => {
    await expectError(await call('/v1/completions', { method: 'POST' }), 404, 'unknown_route');
    await expectError(await call('/v1/chat/completions'), 405, 'method_not_allowed');
    await expectError(await call('/v1/models', { method: 'POST' }), 405, 'method_not_allowed');
  });

  it('a bad <gateway>:<model> is a 400 or 404 naming what exists', async () => {
    const response = await chat({ model: 'nowhere:some-model', messages: [] });
    expect([400, 404]).toContain(response.status);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/fast/);
  });

  it('no upstream secret in any answer or log line', async () => {
    stack.emulator.inject({ times: 1, fault: { type: 'status', status: 401 } });
    const response = await chat({ model: 'fast', messages: [{ role: 'user', content: 'z' }] });
    const text = await response.text();
    expect(text).not.toContain(upstreamKey);
    expect(JSON.stringify(logs)).not.toContain(upstreamKey);
    expect(JSON.stringify(logs)).not.toContain('client-key-1');
    expect(logs.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'fast',
    });
  });
});

describe('streams and their clients', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a client that goes away mid-stream cancels the upstream request', async () => {
    // The primary sends one chunk, then stalls (until its client closes).
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'stream-stall', afterChunks: 1 },
    });
    const controller = new AbortController();
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fast',
        stream: true,
        messages: [{ role: 'user', content: 'a b' }],
      }),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"content":"Echo"');
    controller.abort();
    await expect
      .poll(() => stack.emulator.requests[0]?.outcome, { timeout: 10_000 })
      .toBe('client-closed');
    await expect.poll(() => stack.server.inFlight, { timeout: 10_000 }).toBe(0);
  });

  it('a reader that waits before reading still gets all 2,000+ chunks in order, then [DONE]', async () => {
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fast',
        stream: true,
        messages: [{ role: 'user', content: 'w '.repeat(2_000) }],
      }),
    });
    // Read nothing for a while; then everything arrives, in order, ending with [DONE].
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = await response.text();
    const data = text.split('\n\n').filter((block) => block.startsWith('data: '));
    expect(data.at(-1)).toBe('data: [DONE]');
    expect(data.length).toBeGreaterThan(2_000);
  });
});

describe('as a plain function', () => {
  it('answers /v1/models from a lazily built router', async () => {
    let built = 0;
    const handler = createServeHandler({
      router: () => {
        built += 1;
        return {
          aliases: () => ['a', 'b'],
          config: () => ({ aliases: {}, upstreams: {} }),
        } as never;
      },
    });
    const response = await handler(new Request('http://x/v1/models'));
    expect(await response.json()).toEqual({
      object: 'list',
      data: [
        { id: 'a', object: 'model', created: 0, owned_by: 'switchyard' },
        { id: 'b', object: 'model', created: 0, owned_by: 'switchyard' },
      ],
    });
    expect(built).toBe(1);
  });
});

describe('serve.keys in the config', () => {
  it('compiles to secrets that print as [redacted]', async () => {
    const { parseConfig } = await import('../../src/config/parse-config.ts');
    const table = parseConfig(
      'version: 1\ngateways:\n  g: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1", apiKey: k }\nmodels:\n  a: g:m\nserve:\n  keys: ["${A}", "${B}"]\n',
      { env: { A: 'first-secret-key', B: 'second-secret-key' } },
    );
    expect(table.serve?.keys.map(({ key }) => key.reveal())).toEqual([
      'first-secret-key',
      'second-secret-key',
    ]);
    expect(JSON.stringify(table.serve)).not.toContain('secret-key');
  });

  it('a key function is asked per request: new keys take effect', async () => {
    let keys: readonly string[] = ['old-key'];
    const handler = createServeHandler({
      router: { aliases: () => [], config: () => ({ aliases: {}, upstreams: {} }) } as never,
      keys: () => keys,
    });
    const ask = (key: string) =>
      handler(
        new Request('http://x/v1/models', { headers: { authorization: `Bearer ${key}` } }),
      ).then((response) => response.status);
    expect(await ask('old-key')).toBe(200);
    keys = ['new-key'];
    expect(await ask('old-key')).toBe(401);
    expect(await ask('new-key')).toBe(200);
  });
});
