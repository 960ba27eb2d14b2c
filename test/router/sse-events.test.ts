/**
 * The router's own reader of a streamed chat body, held to the `openai` SDK's reader: for each
 * body below (cut into pieces as a network may cut it), both read the same events and fail
 * with the same error. The SSE rules are the WHATWG HTML standard's "Interpreting an event
 * stream" (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation);
 * `[DONE]`, `error` events and `error` fields are the SDK's own rules (`Stream.fromSSEResponse`).
 */
import OpenAI, { APIError } from 'openai';
import { Stream } from 'openai/core/streaming';
import { describe, expect, it } from 'vitest';
import { sseEvents } from '../../src/router/sse-events.ts';

const encoder = new TextEncoder();
/** The SDK's reader logs what it cannot parse; these bodies are malformed on purpose. */
const quietClient = new OpenAI({
  apiKey: 'unused',
  baseURL: 'http://127.0.0.1:9/v1',
  logLevel: 'off',
});

/** A response whose body arrives in exactly these pieces. */
function bodyOf(pieces: readonly (string | Uint8Array)[]): Response {
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[index++];
      if (piece === undefined) controller.close();
      else controller.enqueue(typeof piece === 'string' ? encoder.encode(piece) : piece);
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'x-id': 'r-1' } });
}

type Outcome = { events: unknown[]; error?: { name: string; message: string } };

async function drain(iterator: AsyncIterator<unknown>): Promise<Outcome> {
  const events: unknown[] = [];
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return { events };
      events.push(next.value);
    }
  } catch (error) {
    const { name, message } = error as Error;
    return { events, error: { name: error instanceof APIError ? 'APIError' : name, message } };
  }
}

async function readByRouter(pieces: readonly (string | Uint8Array)[], onActivity = () => {}) {
  return drain(sseEvents(bodyOf(pieces), new AbortController(), onActivity));
}

async function readBySdk(pieces: readonly (string | Uint8Array)[]) {
  const stream = Stream.fromSSEResponse(bodyOf(pieces), new AbortController(), quietClient);
  return drain(stream[Symbol.asyncIterator]());
}

const chunk = (content: string) =>
  JSON.stringify({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content } }],
  });

const bodies: Record<string, readonly (string | Uint8Array)[]> = {
  'one piece, LF': [`data: ${chunk('a')}\n\ndata: ${chunk('b')}\n\ndata: [DONE]\n\n`],
  'CRLF line ends': [`data: ${chunk('a')}\r\n\r\ndata: [DONE]\r\n\r\n`],
  'CR line ends': [`data: ${chunk('a')}\r\rdata: ${chunk('b')}\r\r`],
  'a CRLF cut between its CR and its LF': [
    `data: ${chunk('a')}\r`,
    `\n\r`,
    `\ndata: [DONE]\r\n\r\n`,
  ],
  'events cut mid-line and mid-field': [
    'da',
    `ta: ${chunk('a').slice(0, 9)}`,
    `${chunk('a').slice(9)}\n`,
    '\n',
  ],
  'a multi-byte character cut between pieces': [
    encoder.encode(`data: ${chunk('héllo ✓')}\n\n`).subarray(0, 50),
    encoder.encode(`data: ${chunk('héllo ✓')}\n\n`).subarray(50),
  ],
  'comments, unknown fields, id and retry': [
    `: OPENROUTER PROCESSING\n\nid: 7\nretry: 10\nfoo: bar\ndata: ${chunk('a')}\n\n:keep-alive\n\n`,
  ],
  'data split over lines': ['data: {"choices":\ndata: [], "id": "x"}\n\n'],
  // One CRLF is one line end: counted as two, the blank line would cut the event in half.
  'data split over CRLF lines': ['data: {"choices":\r\ndata: [], "id": "x"}\r\n\r\n'],
  'data split over a CRLF cut between its CR and its LF': [
    'data: {"choices":\r',
    '\ndata: [], "id": "x"}\r\n\r\n',
  ],
  'no space after the colon, and a field without a colon': [`data:${chunk('a')}\n\ndata\n\n`],
  'a last event without its blank line': [`data: ${chunk('a')}\n\ndata: ${chunk('b')}`],
  'events after [DONE] are not read': [`data: [DONE]\n\ndata: ${chunk('late')}\n\n`],
  'malformed JSON': [`data: ${chunk('a')}\n\ndata: {"choices": [\n\n`],
  'an error event': [
    `data: ${chunk('a')}\n\nevent: error\ndata: {"error": {"message": "overloaded"}}\n\n`,
  ],
  'an error field': ['data: {"error": {"message": "upstream failed", "code": 502}}\n\n'],
  'an error event whose data is the error itself': ['event: error\ndata: {"message": "bare"}\n\n'],
  'an event name with no data': ['event: ping\n\n'],
  'an empty body': [],
};

describe('the router reads a streamed body as the openai SDK does', () => {
  for (const [name, pieces] of Object.entries(bodies)) {
    it(name, async () => {
      const router = await readByRouter(pieces);
      const sdk = await readBySdk(pieces);
      expect(router).toEqual(sdk);
    });
  }

  it('gives the chunks themselves and the errors with their data (not only the same as the SDK)', async () => {
    const ok = await readByRouter(bodies['a multi-byte character cut between pieces'] ?? []);
    expect(ok.events).toHaveLength(1);
    expect(ok.events[0]).toMatchObject({ choices: [{ delta: { content: 'héllo ✓' } }] });
    const cr = await readByRouter(bodies['CR line ends'] ?? []);
    expect(cr.events).toHaveLength(2);
    for (const name of [
      'data split over CRLF lines',
      'data split over a CRLF cut between its CR and its LF',
    ]) {
      const split = await readByRouter(bodies[name] ?? []);
      expect(split).toEqual({ events: [{ choices: [], id: 'x' }] });
    }
    const failed = await readByRouter(bodies['an error field'] ?? []);
    expect(failed.error).toEqual({ name: 'APIError', message: 'upstream failed' });
    const malformed = await readByRouter(bodies['malformed JSON'] ?? []);
    expect(malformed.events).toHaveLength(1);
    expect(malformed.error?.name).toBe('SyntaxError');
  });

  it('reports every piece of the body read, comment lines included', async () => {
    let pieces = 0;
    const outcome = await readByRouter(
      [': keep-alive\n\n', ': keep-alive\n\n', `data: ${chunk('a')}\n\n`, 'data: [DONE]\n\n'],
      () => {
        pieces += 1;
      },
    );
    expect(outcome.events).toHaveLength(1);
    expect(pieces).toBe(4);
  });

  it('fails on a response without a body, as the SDK does', async () => {
    const iterator = sseEvents(new Response(null), new AbortController(), () => {});
    await expect(iterator.next()).rejects.toThrow(
      'Attempted to iterate over a response with no body',
    );
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('ends quietly once its request is aborted, and cancels the rest of the body', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`data: ${chunk('a')}\n\ndata: ${chunk('b')}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const iterator = sseEvents(new Response(body), controller, () => {});
    expect((await iterator.next()).done).toBe(false);
    controller.abort(new Error('stop'));
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(cancelled).toBe(true);
  });

  it('ends a read in progress when its request is aborted, even if the body ignores the signal', async () => {
    // A body that never sends and knows nothing of the signal (as a custom fetch may return).
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true;
      },
    });
    const controller = new AbortController();
    const iterator = sseEvents(new Response(body), controller, () => {});
    const pending = iterator.next();
    controller.abort(new Error('deadline'));
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(cancelled).toBe(true);
  });

  it('ends quietly when the body fails because its request was aborted', async () => {
    // As fetch's own body does: the request's signal errors the body stream, and the read in
    // progress rejects. The caller learns why from the signal, not from a transport error.
    const controller = new AbortController();
    let source: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(streamController) {
        source = streamController;
      },
    });
    controller.signal.addEventListener('abort', () => {
      source?.error(new DOMException('This operation was aborted', 'AbortError'));
    });
    const iterator = sseEvents(new Response(body), controller, () => {});
    const pending = iterator.next();
    controller.abort(new Error('deadline'));
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('finds an event cut into many small pieces', async () => {
    const text = `data: ${chunk('x'.repeat(5000))}\n\n`;
    const pieces: string[] = [];
    for (let index = 0; index < text.length; index += 7) pieces.push(text.slice(index, index + 7));
    const outcome = await readByRouter(pieces);
    expect(outcome.events).toHaveLength(1);
    expect(outcome.events[0]).toMatchObject({
      choices: [{ delta: { content: 'x'.repeat(5000) } }],
    });
  });

  it('cancels the rest of the body when the caller returns early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`data: ${chunk('a')}\n\n`));
      },
      cancel() {
        cancelled = true;
      },
    });
    const iterator = sseEvents(new Response(body), new AbortController(), () => {});
    expect((await iterator.next()).done).toBe(false);
    await iterator.return?.();
    expect(cancelled).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});
