/**
 * The caller's stream after its first content, as the router hands it out: every byte of the
 * body reaches the SDK's parser (events cut anywhere across writes, comment lines between
 * them), body activity after the commit point (SSE comments included) keeps the idle limit
 * quiet, a real stall still trips it, every way of stopping early cuts the request, and the
 * stream behaves as an async iterator should (in-order results for overlapping reads, done
 * after the end). A plain node:http server writes the SSE bytes exactly as scripted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, parseConfig, type Router, type RouterError } from '../../src/index.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type Piece = string | { waitMs: number } | { stall: true };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Serves `pieces` as an SSE body, one write each; records when each request's socket closes. */
async function startSseServer(pieces: readonly Piece[]) {
  const closed: Promise<void>[] = [];
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    closed.push(new Promise<void>((resolve) => response.on('close', () => resolve())));
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of pieces) {
      if (response.destroyed) return;
      if (typeof piece === 'string') response.write(piece);
      else if ('waitMs' in piece) await new Promise((resolve) => setTimeout(resolve, piece.waitMs));
      else return; // stall: the body stops here, the connection stays open
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url, closed };
}

function routerFor(url: string, alias = '', options: { fetch?: typeof fetch } = {}): Router {
  const router = createRouter(
    parseConfig(
      `version: 1
gateways:
  local: { type: openai-compatible, baseURL: ${url}/v1, apiKey: "\${KEY}" }
upstreams:
  only: { gateway: local, model: m }
models:
  streamed: { targets: [only]${alias === '' ? '' : `, ${alias}`} }
`,
      { env: { KEY: 'sk-test-key-0001' } },
    ),
    { health: false, ...options },
  );
  cleanup.push(() => router.close());
  return router;
}

const chunk = (choices: unknown[]) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices })}\n\n`;
const delta = (index: number, content: string) =>
  chunk([{ index, delta: { content }, finish_reason: null }]);
const ask = { model: 'streamed', messages: [{ role: 'user' as const, content: 'hi' }] };

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const part of stream) chunks.push(part);
  return chunks;
}

async function failure(work: Promise<unknown>): Promise<RouterError & Record<string, unknown>> {
  try {
    await work;
  } catch (error) {
    return error as RouterError & Record<string, unknown>;
  }
  throw new Error('it succeeded');
}

describe('every byte of the body reaches the caller', () => {
  it('events cut across writes, byte by byte and mid-line, with comments between: the same chunks as the SDK reading the same bytes', async () => {
    const events = [
      chunk([
        { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null },
        { index: 1, delta: { role: 'assistant', content: '' }, finish_reason: null },
      ]),
      ...Array.from({ length: 40 }, (_, index) => delta(index % 2, `w${index} é€😀 `)),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      ': keep-alive\n\n',
      chunk([{ index: 1, delta: {}, finish_reason: 'length' }]),
      'data: [DONE]\n\n',
    ];
    // The whole body in writes of 1, 2, 3... 7 bytes: events and multi-byte characters split
    // across writes.
    const rawServer = await startRawSseServer(Buffer.from(events.join('')));
    const routed = await collect(
      await routerFor(rawServer.url).chat.completions.create({ ...ask, stream: true, n: 2 }),
    );
    const direct = await collect(
      await new OpenAI({
        apiKey: 'sk-test-key-0001',
        baseURL: `${rawServer.url}/v1`,
        maxRetries: 0,
      }).chat.completions.create({ ...ask, model: 'm', stream: true, n: 2 }),
    );
    expect(direct).toHaveLength(43);
    expect(routed).toEqual(direct);
  });
});

describe('chunks as the SDK gives them', () => {
  it('choices without a finish_reason get null, exactly as the SDK reading the same bytes', async () => {
    // Some gateways omit finish_reason until the last chunk; the SDK fills in null.
    const bare = (choices: unknown[]) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices })}\n\n`;
    const events = [
      bare([{ index: 0, delta: { role: 'assistant', content: '' } }]),
      bare([{ index: 0, delta: { content: 'a' } }]),
      bare([{ index: 0, delta: { content: 'b' }, logprobs: null }]),
      bare([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      bare([]),
      'data: [DONE]\n\n',
    ];
    const rawServer = await startRawSseServer(Buffer.from(events.join('')));
    const routed = await collect(
      await routerFor(rawServer.url).chat.completions.create({ ...ask, stream: true }),
    );
    const direct = await collect(
      await new OpenAI({
        apiKey: 'sk-test-key-0001',
        baseURL: `${rawServer.url}/v1`,
        maxRetries: 0,
      }).chat.completions.create({ ...ask, model: 'm', stream: true }),
    );
    expect(direct[1]?.choices[0]?.finish_reason).toBeNull();
    expect(routed).toEqual(direct);
    expect(JSON.stringify(routed)).toBe(JSON.stringify(direct));
  });
});

/** Serves `bytes` as an SSE body in writes of 1 to 7 bytes. */
async function startRawSseServer(bytes: Buffer) {
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    let writes = 0;
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size % 7) + 1) {
      response.write(bytes.subarray(at, at + size));
      writes += 1;
      // A pause now and then, so the pieces arrive as separate reads.
      if (writes % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the idle limit after the first content', () => {
  it('counts SSE comment lines as activity: a slow but live upstream is not cut', async () => {
    // https://openrouter.ai/docs/api-reference/streaming: ": OPENROUTER PROCESSING" comments
    // keep a connection alive while the model works.
    const comments = Array.from({ length: 8 }, () => [
      ': OPENROUTER PROCESSING\n\n',
      { waitMs: 250 },
    ]).flat();
    const server = await startSseServer([
      delta(0, 'first '),
      ...comments, // 2 s with no chunk, a comment every 250 ms
      delta(0, 'second'),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      'data: [DONE]\n\n',
    ]);
    const router = routerFor(server.url, 'timeout: { idle: 1s }');
    const chunks = await collect(await router.chat.completions.create({ ...ask, stream: true }));
    expect(chunks.map((part) => part.choices[0]?.delta.content ?? '').join('')).toBe(
      'first second',
    );
  });

  it('still fires on a real stall after content: an interruption with the partial output, and the request is cut', async () => {
    const server = await startSseServer([delta(0, 'Hel'), delta(0, 'lo'), { stall: true }]);
    const router = routerFor(server.url, 'timeout: { idle: 1s }');
    const stream = await router.chat.completions.create({ ...ask, stream: true });
    const error = await failure(collect(stream));
    expect(error.code).toBe('STREAM_INTERRUPTED');
    expect(error['partialContent']).toBe('Hello');
    expect(error['chunks']).toBe(2);
    await server.closed[0];
  });
});

describe('the SDK stream methods on the caller stream', () => {
  const answer = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    delta(0, 'a'),
    delta(0, 'b'),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    'data: [DONE]\n\n',
  ];

  it('tee(): both branches get every chunk, honest ending included', async () => {
    const server = await startSseServer(answer);
    const stream = await routerFor(server.url).chat.completions.create({ ...ask, stream: true });
    const [left, right] = stream.tee();
    const [a, b] = await Promise.all([collect(left), collect(right)]);
    expect(a.map((part) => part.choices[0]?.delta.content ?? '').join('')).toBe('ab');
    expect(b).toEqual(a);
    expect(a.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('tee() of a stream cut after content: each branch raises the interruption', async () => {
    const server = await startSseServer([delta(0, 'a'), 'data: [DONE]\n\n']);
    const stream = await routerFor(server.url).chat.completions.create({ ...ask, stream: true });
    const [left, right] = stream.tee();
    expect((await failure(collect(left))).code).toBe('STREAM_INTERRUPTED');
    expect((await failure(collect(right))).code).toBe('STREAM_INTERRUPTED');
  });

  it('toReadableStream(): the chunks as JSON lines', async () => {
    const server = await startSseServer(answer);
    const stream = await routerFor(server.url).chat.completions.create({ ...ask, stream: true });
    const text = await new Response(stream.toReadableStream()).text();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines.at(-1) as string).choices[0].finish_reason).toBe('stop');
  });
});

describe('stopping the caller stream', () => {
  it('break after the first chunk cuts the request; the iterator is done afterwards', async () => {
    const server = await startSseServer([delta(0, 'a'), delta(0, 'b'), { stall: true }]);
    const router = routerFor(server.url);
    const stream = await router.chat.completions.create({ ...ask, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe('a');
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    await server.closed[0];
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("a break aborts the request's own signal, which a custom fetch relies on to stop", async () => {
    // Cancelling the body closes undici's connection by itself; a user's fetch (a proxy agent, a
    // tracing wrapper) may only follow the signal it was given.
    const server = await startSseServer([delta(0, 'a'), delta(0, 'b'), { stall: true }]);
    const signals: AbortSignal[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      if (init?.signal) signals.push(init.signal);
      return fetch(input, init);
    };
    const router = routerFor(server.url, '', { fetch: recordingFetch });
    const stream = await router.chat.completions.create({ ...ask, stream: true });
    for await (const part of stream) {
      expect(part.choices[0]?.delta.content).toBe('a');
      break;
    }
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('overlapping next() calls get the chunks in order, then done', async () => {
    const server = await startSseServer([
      delta(0, 'a'),
      { waitMs: 20 },
      delta(0, 'b'),
      { waitMs: 20 },
      delta(0, 'c'),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      'data: [DONE]\n\n',
    ]);
    const router = routerFor(server.url);
    const stream = await router.chat.completions.create({ ...ask, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 6 }, () => iterator.next()));
    expect(results.map((result) => result.done)).toEqual([false, false, false, false, true, true]);
    expect(results.slice(0, 3).map((result) => result.value?.choices[0]?.delta.content)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('the caller signal, fired mid-stream, ends it with ABORTED and cuts the request', async () => {
    const server = await startSseServer([delta(0, 'a'), { stall: true }]);
    const router = routerFor(server.url);
    const controller = new AbortController();
    const stream = await router.chat.completions.create(
      { ...ask, stream: true },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const pending = failure(iterator.next());
    controller.abort(new Error('user went away'));
    const error = await pending;
    expect(error.code).toBe('ABORTED');
    await server.closed[0];
  });

  it('close() mid-stream ends it with ROUTER_CLOSED and cuts the request', async () => {
    const server = await startSseServer([delta(0, 'a'), { stall: true }]);
    const router = routerFor(server.url);
    const stream = await router.chat.completions.create({ ...ask, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const pending = failure(iterator.next());
    await router.close();
    expect((await pending).code).toBe('ROUTER_CLOSED');
    await server.closed[0];
  });
});

describe('a stream attempt that fails before its first content', () => {
  it('has its body cancelled and its connection closed, not left open to the collector', async () => {
    // The upstream's choice fails before any content (OpenRouter's mid-stream failure shape,
    // here without an `error` field), then the body stalls with the connection open.
    const failing = await startSseServer([
      chunk([{ index: 0, delta: { content: '' }, finish_reason: 'error' }]),
      { stall: true },
    ]);
    const healthy = await startSseServer([
      delta(0, 'hello'),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
      'data: [DONE]\n\n',
    ]);
    const router = createRouter(
      parseConfig(
        `version: 1
gateways:
  first: { type: openai-compatible, baseURL: ${failing.url}/v1, apiKey: "\${KEY}" }
  second: { type: openai-compatible, baseURL: ${healthy.url}/v1, apiKey: "\${KEY}" }
upstreams:
  a: { gateway: first, model: m }
  b: { gateway: second, model: m }
models:
  streamed: { targets: [a, b], policy: { server: fallback } }
`,
        { env: { KEY: 'sk-test-key-0001' } },
      ),
      { health: false },
    );
    cleanup.push(() => router.close());
    const stream = await router.chat.completions.create({ ...ask, stream: true });
    const chunks = await collect(stream);
    expect(chunks.map((part) => part.choices[0]?.delta?.content ?? '').join('')).toBe('hello');
    expect(failing.closed).toHaveLength(1);
    // The failed attempt's connection is closed by the router (the stalled body would keep it
    // open for as long as the test runs otherwise).
    let closed = false;
    void failing.closed[0]?.then(() => {
      closed = true;
    });
    await expect.poll(() => closed).toBe(true);
  });
});
