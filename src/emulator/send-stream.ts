/**
 * Streams a chat completion as server-sent events the way gateways do (role chunk, content
 * chunks, finish, usage, `[DONE]`), with stream faults played at their chunk.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ChatCompletionChunks } from './completions.ts';
import { type Exchange, wait, writeFlushed, writeHead } from './exchange.ts';
import type { Fault } from './faults.ts';
import { type Personality, personalityStreamError, processingComment } from './personality.ts';

/** Options for {@link sendChatStream}. */
export type SendChatStreamOptions = {
  /** The exchange to answer. */
  exchange: Exchange;
  /** The rendered answer. */
  chunks: ChatCompletionChunks;
  /** A fault to play inside the stream (non-stream faults are ignored here). */
  fault: Fault | undefined;
  /** Extra response headers (gateway headers, credential). */
  headers: OutgoingHttpHeaders;
  /** Whose stream quirks to imitate (error chunk, processing comments). @default 'openai' */
  personality?: Personality;
};

/** Default `malformed-chunk` payload: the start of a chunk, cut off mid-object. */
export const defaultMalformedData = '{"id":"chatcmpl-emu","choices":[{"delta":';

const event = (data: string) => `data: ${data}\n\n`;

/** Index of the content chunk a stream fault fires before, or -1 for none. */
function faultPosition(options: { fault: Fault | undefined; contentChunks: number }): number {
  const { fault } = options;
  switch (fault?.type) {
    case 'stream-cut':
    case 'stream-error':
    case 'stream-stall':
    case 'malformed-chunk':
    case 'finish-error':
      return Math.min(fault.afterChunks ?? 1, options.contentChunks);
    default:
      return -1;
  }
}

/**
 * Streams a chat completion as server-sent events: a role-only chunk, one
 * `chat.completion.chunk` per word, the `finish_reason` chunk, the usage chunk when asked for,
 * then `data: [DONE]`. A stream fault takes effect after `afterChunks` content chunks (clamped
 * to the number of content chunks).
 */
export async function sendChatStream(options: SendChatStreamOptions): Promise<void> {
  const { exchange, chunks, fault } = options;
  writeHead({
    exchange,
    status: 200,
    headers: {
      ...options.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    },
  });
  const send = async (data: string) => {
    if (!exchange.signal.aborted) {
      await writeFlushed({ exchange, text: event(data) });
    }
  };
  const personality = options.personality ?? 'openai';
  if (fault?.type === 'keep-alive') {
    // A slow but live upstream: comments only, until the first chunk.
    const until = performance.now() + fault.ms;
    while (performance.now() < until && !exchange.signal.aborted) {
      await writeFlushed({ exchange, text: processingComment(personality) });
      const gap = Math.min(fault.everyMs ?? 100, Math.max(0, until - performance.now()));
      if (!(await wait({ ms: gap, signal: exchange.signal }))) return;
    }
  }
  await send(JSON.stringify(chunks.role));
  const faultAt = faultPosition({ fault, contentChunks: chunks.content.length });
  for (let index = 0; index <= chunks.content.length; index += 1) {
    if (index === faultAt && fault !== undefined) {
      if (fault.type === 'stream-cut') {
        exchange.entry.outcome = 'cut';
        // A plain destroy after the flushed writes: the client has the first chunks, then sees
        // the connection end without the chunked terminator.
        exchange.request.socket.destroy();
        return;
      }
      if (fault.type === 'stream-error') {
        const { choices: _, ...base } = chunks.finish;
        const body = personalityStreamError({
          personality,
          base,
          message: fault.message ?? 'The server had an error while processing your request.',
          code: fault.code ?? 'server_error',
        });
        await send(JSON.stringify(body));
        exchange.response.end();
        return;
      }
      if (fault.type === 'finish-error') {
        const { choices: _, ...base } = chunks.finish;
        await send(
          JSON.stringify({
            ...base,
            choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
          }),
        );
        await send('[DONE]');
        exchange.response.end();
        return;
      }
      if (fault.type === 'stream-stall') {
        // Without `ms` the stream stays open and silent until the client or `close()` ends it.
        if (fault.ms === undefined || !(await wait({ ms: fault.ms, signal: exchange.signal }))) {
          return;
        }
      }
      if (fault.type === 'malformed-chunk') {
        await send(fault.data ?? defaultMalformedData);
      }
    }
    const chunk = chunks.content[index];
    if (chunk !== undefined) {
      await send(JSON.stringify(chunk));
    }
  }
  await send(JSON.stringify(chunks.finish));
  if (chunks.usage !== undefined) {
    await send(JSON.stringify(chunks.usage));
  }
  if (fault?.type !== 'stream-no-done') {
    await send('[DONE]');
  }
  exchange.response.end();
}
