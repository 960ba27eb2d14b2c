import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type Fault, startEmulator } from '../../src/emulator/index.ts';
import { createCloudflareClient, readAll, sseData, userMessage } from './helpers.ts';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: { gateways: { 'acct/secure': { token: 'tok', storedKeys: ['openai'] } } },
  });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const model = 'openai/gpt-4o-mini';
const chat = (client: OpenAI, content = 'hello world') =>
  client.chat.completions.create({ model, messages: userMessage(content) });
const streamChat = (client: OpenAI, content = 'one two three four') =>
  client.chat.completions.create({ model, messages: userMessage(content), stream: true });

/** Raw streaming request over fetch, with an optional per-request fault header. */
const fetchStream = (options: { fault?: Fault; signal?: AbortSignal } = {}) =>
  fetch(`${emulator.url}/v1/acct/gw/compat/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer sk',
      ...(options.fault === undefined ? {} : { 'x-emulator-fault': JSON.stringify(options.fault) }),
    },
    body: JSON.stringify({ model, messages: userMessage('one two three four'), stream: true }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });

const collect = async (stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) => {
  const contents: string[] = [];
  try {
    for await (const chunk of stream) {
      contents.push(chunk.choices[0]?.delta.content ?? '');
    }
    return { contents };
  } catch (error) {
    return { contents, error };
  }
};

describe('status faults', () => {
  it('answers 429 with Retry-After and a rate-limit body', async () => {
    emulator.inject({ fault: { type: 'status', status: 429, headers: { 'retry-after': '2' } } });
    const error = await chat(createCloudflareClient({ emulator })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.headers?.get('retry-after')).toBe('2');
    expect(rateLimit.code).toBe('rate_limit_exceeded');
    expect(rateLimit.headers?.get('cf-aig-log-id')).toMatch(/^emu-log-/);
    expect(emulator.requests[0]).toMatchObject({
      status: 429,
      fault: { type: 'status', status: 429 },
    });
  });

  it('retry-after-ms is honoured by an SDK that retries', async () => {
    emulator.inject({
      times: 1,
      fault: { type: 'status', status: 503, headers: { 'retry-after-ms': '120' } },
    });
    const client = createCloudflareClient({ emulator }).withOptions({ maxRetries: 1 });
    const completion = await chat(client);
    expect(completion.object).toBe('chat.completion');
    const [failed, retried] = emulator.requests;
    expect([failed?.status, retried?.status]).toEqual([503, 200]);
    expect((retried?.time ?? 0) - (failed?.time ?? 0)).toBeGreaterThanOrEqual(110);
  });

  it('x-should-retry: false stops the SDK from retrying a 500', async () => {
    emulator.inject({
      fault: { type: 'status', status: 500, headers: { 'x-should-retry': 'false' } },
    });
    const client = createCloudflareClient({ emulator }).withOptions({ maxRetries: 2 });
    await expect(chat(client)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    expect(emulator.requests).toHaveLength(1);
  });

  it.each([
    ['context_length_exceeded', 'maximum context length'],
    ['content_filter', 'content management policy'],
  ])('builds a 400 %s body', async (code, message) => {
    emulator.inject({ fault: { type: 'status', status: 400, code } });
    const error = await chat(createCloudflareClient({ emulator })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ code, type: 'invalid_request_error' });
    expect((error as Error).message).toContain(message);
  });

  it('sends a custom JSON body, or a string body as text/plain', async () => {
    emulator.inject({
      times: 1,
      fault: { type: 'status', status: 502, body: { detail: 'upstream' } },
    });
    emulator.inject({
      times: 1,
      fault: { type: 'status', status: 502, body: '<html>Bad Gateway</html>' },
    });
    const url = `${emulator.url}/v1/chat/completions`;
    const init = {
      method: 'POST',
      headers: { authorization: 'Bearer sk' },
      body: JSON.stringify({ model, messages: [] }),
    };
    const json = await fetch(url, init);
    expect(json.status).toBe(502);
    expect(await json.json()).toEqual({ detail: 'upstream' });
    const html = await fetch(url, init);
    expect(html.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await html.text()).toBe('<html>Bad Gateway</html>');
  });
});

describe('connection faults', () => {
  it('reset destroys the connection before headers: APIConnectionError', async () => {
    emulator.inject({ fault: { type: 'reset' } });
    const error = await chat(createCloudflareClient({ emulator })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(emulator.requests[0]).toMatchObject({ outcome: 'reset', fault: { type: 'reset' } });
    expect(emulator.requests[0]).not.toHaveProperty('status');
  });

  it('hang never answers: the SDK times out and the log shows the client left', async () => {
    emulator.inject({ fault: { type: 'hang' } });
    const started = performance.now();
    const error = await chat(createCloudflareClient({ emulator, timeout: 150 })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect.poll(() => emulator.requests[0]?.outcome).toBe('client-closed');
    expect(emulator.requests[0]).not.toHaveProperty('status');
  });

  it('delay holds the headers back, then answers normally', async () => {
    emulator.inject({ fault: { type: 'delay', ms: 150 } });
    const started = performance.now();
    const completion = await chat(createCloudflareClient({ emulator }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(completion.choices[0]?.message.content).toBe(`Echo from ${model}: hello world`);
  });

  it('redirect answers with Location to another origin', async () => {
    emulator.inject({ fault: { type: 'redirect', location: 'http://127.0.0.1:9/elsewhere' } });
    const response = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk' },
      body: JSON.stringify({ model, messages: [] }),
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:9/elsewhere');
  });

  it('a followed 307 reaches the other origin: Authorization dropped, cf-aig-authorization kept', async () => {
    const other = await startEmulator({ allowMissingApiKey: true });
    try {
      emulator.inject({
        fault: { type: 'redirect', status: 307, location: `${other.url}/v1/chat/completions` },
      });
      const client = createCloudflareClient({
        emulator,
        gateway: 'acct/secure',
        gatewayToken: 'tok',
        apiKey: 'sk-secret',
      });
      const completion = await chat(client);
      expect(completion.object).toBe('chat.completion');
      const [followed] = other.requests;
      expect(followed?.method).toBe('POST');
      expect(followed?.headers).not.toHaveProperty('authorization');
      // Credentials the fetch spec does not know about leak to the other origin.
      expect(followed?.headers['cf-aig-authorization']).toBe('Bearer tok');
    } finally {
      await other.close();
    }
  });
});

describe('stream faults', () => {
  it('stream-cut ends the SDK stream with an error after N chunks, without [DONE]', async () => {
    emulator.inject({ fault: { type: 'stream-cut', afterChunks: 2 } });
    const { contents, error } = await collect(
      await streamChat(createCloudflareClient({ emulator })),
    );
    expect(contents).toEqual(['', 'Echo', ' from']);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.requests[0]).toMatchObject({ status: 200, outcome: 'cut' });
  });

  it('stream-error sends an error event inside the 200 stream', async () => {
    emulator.inject({
      fault: {
        type: 'stream-error',
        afterChunks: 1,
        message: 'overloaded mid-stream',
        code: 'overloaded',
      },
    });
    const { contents, error } = await collect(
      await streamChat(createCloudflareClient({ emulator })),
    );
    expect(contents).toEqual(['', 'Echo']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('overloaded mid-stream');

    const raw = await readAll(
      await fetchStream({ fault: { type: 'stream-error', afterChunks: 1 } }),
    );
    const events = sseData(raw.text);
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2] ?? '')).toMatchObject({
      error: { type: 'server_error', code: 'server_error' },
    });
    expect(raw.text).not.toContain('[DONE]');
  });

  it('stream-stall with ms pauses after N chunks, then finishes', async () => {
    const response = await fetchStream({
      fault: { type: 'stream-stall', afterChunks: 2, ms: 1500 },
    });
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const arrivals: { at: number; events: number }[] = [];
    const started = performance.now();
    while (reader !== undefined) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      text += decoder.decode(value, { stream: true });
      arrivals.push({ at: performance.now() - started, events: sseData(text).length });
    }
    // The role chunk and two content chunks, then the stall. The stall is long, so a loaded
    // machine cannot blur which chunks came before it.
    const beforeStall = arrivals.filter((arrival) => arrival.events <= 3);
    const afterStall = arrivals.find((arrival) => arrival.events > 3);
    expect(beforeStall.at(-1)?.at ?? Infinity).toBeLessThan(1000);
    expect(afterStall?.at ?? 0).toBeGreaterThanOrEqual(1490);
    expect(sseData(text).at(-1)).toBe('[DONE]');
  });

  it('stream-stall without ms stays silent until the client gives up', async () => {
    const controller = new AbortController();
    const client = createCloudflareClient({ emulator });
    emulator.inject({ fault: { type: 'stream-stall', afterChunks: 1 } });
    const stream = await client.chat.completions.create(
      { model, messages: userMessage('one two three'), stream: true },
      { signal: controller.signal },
    );
    const started = performance.now();
    setTimeout(() => controller.abort(), 150);
    const { contents, error } = await collect(stream);
    expect(contents).toEqual(['', 'Echo']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    // openai 7.57 ends the iteration quietly on a caller abort instead of throwing.
    expect(error).toBeUndefined();
    await expect.poll(() => emulator.requests[0]?.outcome).toBe('client-closed');
  });

  it('stream-no-done ends the stream without [DONE] (the SDK does not notice)', async () => {
    emulator.inject({ fault: { type: 'stream-no-done' } });
    const { contents, error } = await collect(
      await streamChat(createCloudflareClient({ emulator })),
    );
    expect(error).toBeUndefined();
    expect(contents.join('')).toBe(`Echo from ${model}: one two three four`);
    const raw = await readAll(await fetchStream({ fault: { type: 'stream-no-done' } }));
    expect(raw.error).toBeUndefined();
    expect(sseData(raw.text).at(-1)).not.toBe('[DONE]');
    expect(JSON.parse(sseData(raw.text).at(-1) ?? '')).toMatchObject({
      choices: [{ finish_reason: 'stop' }],
    });
  });

  it('malformed-chunk sends invalid JSON after N chunks: the SDK throws a SyntaxError', async () => {
    emulator.inject({ fault: { type: 'malformed-chunk', afterChunks: 3 } });
    const { contents, error } = await collect(
      await streamChat(createCloudflareClient({ emulator })),
    );
    expect(contents).toHaveLength(4);
    expect(error).toBeInstanceOf(SyntaxError);
    const raw = await readAll(
      await fetchStream({ fault: { type: 'malformed-chunk', afterChunks: 1, data: '{oops' } }),
    );
    const events = sseData(raw.text);
    expect(events[2]).toBe('{oops');
    expect(events.at(-1)).toBe('[DONE]');
  });

  it.each(['stream-cut', 'stream-error', 'stream-stall'] as const)(
    '%s fires after one chunk when afterChunks is omitted',
    async (type) => {
      // The silent stall never ends on its own; the other faults end long before the abort.
      const signal = AbortSignal.timeout(300);
      const raw = await readAll(await fetchStream({ fault: { type }, signal }));
      const contents = sseData(raw.text)
        .map((data) => JSON.parse(data) as { choices?: { delta?: { content?: string } }[] })
        .map((chunk) => chunk.choices?.[0]?.delta?.content);
      expect(contents).toEqual(type === 'stream-error' ? ['', 'Echo', undefined] : ['', 'Echo']);
    },
  );

  it('malformed-chunk fires after one chunk when afterChunks is omitted', async () => {
    const raw = await readAll(await fetchStream({ fault: { type: 'malformed-chunk' } }));
    expect(sseData(raw.text)[2]).toBe('{"id":"chatcmpl-emu","choices":[{"delta":');
  });

  it('clamps afterChunks to the content chunks', async () => {
    const raw = await readAll(
      await fetchStream({ fault: { type: 'stream-cut', afterChunks: 99 } }),
    );
    // The role chunk and all 7 word chunks arrive, then the cut: no finish chunk, no [DONE].
    expect(sseData(raw.text)).toHaveLength(8);
    expect(raw.error).toBeInstanceOf(Error);
  });
});

describe('rules', () => {
  it('times counts down per matching request, then the rule is spent', async () => {
    const handle = emulator.inject({ times: 2, fault: { type: 'status', status: 503 } });
    const client = createCloudflareClient({ emulator });
    await expect(chat(client)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    expect(handle.remaining).toBe(1);
    await expect(chat(client)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(chat(client)).resolves.toMatchObject({ object: 'chat.completion' });
    expect(handle).toMatchObject({ applied: 2, remaining: 0 });
    expect(emulator.requests.map((request) => request.status)).toEqual([503, 503, 200]);
    expect(emulator.requests.map((request) => request.faultRuleId)).toEqual([
      handle.id,
      handle.id,
      undefined,
    ]);
  });

  it('checks rules in insertion order; later rules apply once earlier ones are spent', async () => {
    emulator.inject({ times: 1, fault: { type: 'status', status: 429 } });
    emulator.inject({ times: 1, fault: { type: 'status', status: 500 } });
    const client = createCloudflareClient({ emulator });
    await expect(chat(client)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(chat(client)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(chat(client)).resolves.toBeDefined();
  });

  it('matches on model, path, gateway and stream', async () => {
    emulator.inject({ match: { model: 'openai/other' }, fault: { type: 'status', status: 500 } });
    emulator.inject({ match: { path: '/embeddings' }, fault: { type: 'status', status: 501 } });
    emulator.inject({ match: { gateway: 'acct/secure' }, fault: { type: 'status', status: 502 } });
    emulator.inject({
      match: { gateway: 'openai-compatible', stream: false },
      fault: { type: 'status', status: 503 },
    });
    const client = createCloudflareClient({ emulator });
    await expect(chat(client)).resolves.toBeDefined();
    await expect(
      client.chat.completions.create({ model: 'openai/other', messages: userMessage('x') }),
    ).rejects.toMatchObject({ status: 500 });
    await expect(client.embeddings.create({ model, input: 'x' })).rejects.toMatchObject({
      status: 501,
    });
    await expect(
      chat(createCloudflareClient({ emulator, gateway: 'acct/secure', gatewayToken: 'tok' })),
    ).rejects.toMatchObject({ status: 502 });
    const vercel = new OpenAI({ apiKey: 'sk', baseURL: `${emulator.url}/v1`, maxRetries: 0 });
    await expect(chat(vercel)).rejects.toMatchObject({ status: 503 });
    const { error } = await collect(await streamChat(vercel));
    expect(error).toBeUndefined();
  });

  it('stream faults skip non-streaming requests without spending times', async () => {
    const handle = emulator.inject({ times: 1, fault: { type: 'stream-cut', afterChunks: 1 } });
    const client = createCloudflareClient({ emulator });
    await expect(chat(client)).resolves.toBeDefined();
    expect(handle.remaining).toBe(1);
    const { error } = await collect(await streamChat(client));
    expect(error).toBeInstanceOf(Error);
    expect(handle.remaining).toBe(0);
  });

  it('applies faults only to requests that pass gateway auth', async () => {
    const handle = emulator.inject({ times: 1, fault: { type: 'status', status: 503 } });
    const unauthorized = createCloudflareClient({ emulator, gateway: 'acct/secure' });
    await expect(chat(unauthorized)).rejects.toMatchObject({ status: 401 });
    expect(handle.applied).toBe(0);
  });

  it('remove() and clearFaults() stop rules', async () => {
    const client = createCloudflareClient({ emulator });
    const handle = emulator.inject({ fault: { type: 'status', status: 500 } });
    handle.remove();
    await expect(chat(client)).resolves.toBeDefined();
    emulator.inject({ fault: { type: 'status', status: 500 } });
    emulator.clearFaults();
    await expect(chat(client)).resolves.toBeDefined();
  });

  it('rejects malformed rules and faults with a TypeError', () => {
    const bad: unknown[] = [
      { type: 'explode' },
      { type: 'status' },
      { type: 'status', status: 999 },
      { type: 'delay' },
      { type: 'stream-cut', afterChunk: 1 },
      { type: 'redirect', location: 'not a url' },
      { type: 'redirect', location: 'http://127.0.0.1:1/', status: 200 },
    ];
    for (const fault of bad) {
      expect(() => emulator.inject({ fault } as never), JSON.stringify(fault)).toThrow(TypeError);
    }
    expect(() => emulator.inject({ times: -1, fault: { type: 'reset' } })).toThrow(TypeError);
  });

  it('installs rules given at start', async () => {
    const preset = await startEmulator({
      faults: [{ times: 1, fault: { type: 'status', status: 418 } }],
    });
    try {
      await expect(chat(createCloudflareClient({ emulator: preset }))).rejects.toMatchObject({
        status: 418,
      });
      await expect(chat(createCloudflareClient({ emulator: preset }))).resolves.toBeDefined();
    } finally {
      await preset.close();
    }
  });
});

describe('per-request fault header', () => {
  it('applies the x-emulator-fault header and leaves rules untouched', async () => {
    const handle = emulator.inject({ times: 1, fault: { type: 'status', status: 500 } });
    const client = createCloudflareClient({ emulator });
    const error = await client.chat.completions
      .create(
        { model, messages: userMessage('x') },
        {
          headers: {
            'x-emulator-fault': JSON.stringify({
              type: 'status',
              status: 429,
              headers: { 'retry-after': '1' },
            }),
          },
        },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(handle.remaining).toBe(1);
    expect(emulator.requests[0]?.fault).toEqual({
      type: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
    });
    expect(emulator.requests[0]).not.toHaveProperty('faultRuleId');
  });

  it('rejects an invalid header with 400', async () => {
    for (const header of ['{not json', JSON.stringify({ type: 'nope' })]) {
      const response = await fetch(`${emulator.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk', 'x-emulator-fault': header },
        body: JSON.stringify({ model, messages: [] }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_emulator_fault' } });
    }
  });

  it('rejects a stream fault on a non-streaming request', async () => {
    const response = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk',
        'x-emulator-fault': JSON.stringify({ type: 'stream-cut' }),
      },
      body: JSON.stringify({ model, messages: [] }),
    });
    expect(response.status).toBe(400);
  });
});
