/**
 * Streams a chat completion as server-sent events the way gateways do (role chunk, content
 * chunks, finish, usage, `[DONE]`), with stream faults played at their chunk.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { ChatCompletionChunks } from './completions.ts';
import { type Exchange, wait, writeEventStreamHead, writeFlushed } from './exchange.ts';
import { defaultMalformedData, type Fault, type KeepAliveFault } from './faults.ts';
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

/** Sends one `data:` event, unless the client has gone. */
async function sendData(options: { exchange: Exchange; data: string }): Promise<void> {
  const { exchange } = options;
  if (exchange.signal.aborted) return;
  await writeFlushed({ exchange, text: `data: ${options.data}\n\n` });
}

/**
 * Streams a chat completion as server-sent events: a role-only chunk, one
 * `chat.completion.chunk` per word, the `finish_reason` chunk, the usage chunk when asked for,
 * then `data: [DONE]`. A stream fault takes effect after `afterChunks` content chunks (clamped
 * to the number of content chunks).
 */
export async function sendChatStream(options: SendChatStreamOptions): Promise<void> {
  const { exchange, chunks, fault } = options;
  writeEventStreamHead({ exchange, headers: options.headers });
  const personality = options.personality ?? 'openai';
  if (fault?.type === 'keep-alive') {
    if (!(await sendKeepAlive({ exchange, fault, personality }))) return;
  }
  const send = (data: string) => sendData({ exchange, data });
  await send(JSON.stringify(chunks.role));
  const faultAt = faultPosition({ fault, contentChunks: chunks.content.length });
  for (let index = 0; index <= chunks.content.length; index += 1) {
    if (index === faultAt && fault !== undefined) {
      if (!(await playStreamFault({ ...options, fault, personality }))) return;
    }
    const chunk = chunks.content[index];
    if (chunk !== undefined) await send(JSON.stringify(chunk));
  }
  await send(JSON.stringify(chunks.finish));
  if (chunks.usage !== undefined) await send(JSON.stringify(chunks.usage));
  if (fault?.type !== 'stream-no-done') await send('[DONE]');
  exchange.response.end();
}

/**
 * A slow but live upstream: comments only, until the first chunk (or, on a Responses stream, the
 * first event). Returns false when the client went away meanwhile.
 */
export async function sendKeepAlive(options: {
  exchange: Exchange;
  fault: KeepAliveFault;
  personality: Personality;
}): Promise<boolean> {
  const { exchange, fault } = options;
  const until = performance.now() + fault.ms;
  while (performance.now() < until && !exchange.signal.aborted) {
    await writeFlushed({ exchange, text: processingComment(options.personality) });
    const gap = Math.min(fault.everyMs ?? 100, Math.max(0, until - performance.now()));
    if (!(await wait({ ms: gap, signal: exchange.signal }))) return false;
  }
  return true;
}

/**
 * Plays a stream fault at its chunk. Returns true when the stream goes on (after a stall or a
 * malformed line), false once it has ended it.
 */
async function playStreamFault(
  options: SendChatStreamOptions & { fault: Fault; personality: Personality },
): Promise<boolean> {
  const { exchange, chunks, fault } = options;
  const send = (data: string) => sendData({ exchange, data });
  const { choices: _, ...base } = chunks.finish;
  switch (fault.type) {
    case 'stream-cut':
      exchange.entry.outcome = 'cut';
      // A plain destroy after the flushed writes: the client has the first chunks, then sees
      // the connection end without the chunked terminator.
      exchange.request.socket.destroy();
      return false;
    case 'stream-error': {
      const body = personalityStreamError({
        personality: options.personality,
        base,
        message: fault.message ?? 'The server had an error while processing your request.',
        code: fault.code ?? 'server_error',
      });
      await send(JSON.stringify(body));
      exchange.response.end();
      return false;
    }
    case 'finish-error': {
      const choices = [{ index: 0, delta: { content: '' }, finish_reason: 'error' }];
      await send(JSON.stringify({ ...base, choices }));
      await send('[DONE]');
      exchange.response.end();
      return false;
    }
    case 'stream-stall':
      // Without `ms` the stream stays open and silent until the client or `close()` ends it.
      if (fault.ms === undefined) return false;
      return wait({ ms: fault.ms, signal: exchange.signal });
    case 'malformed-chunk':
      await send(fault.data ?? defaultMalformedData);
      return true;
    default:
      return true;
  }
}
