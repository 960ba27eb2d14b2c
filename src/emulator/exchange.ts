/**
 * One request being answered: the Node request and response, its log entry and its lifetime
 * signal, with the writers (JSON, text, errors, flushed stream writes, a reset connection) that
 * keep the log entry's status and outcome true.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOpenAIErrorBody } from './error-bodies.ts';
import type { RequestLogEntry } from './request-log.ts';

/** One request being answered: the Node objects, its log entry, and its lifetime signal. */
export type Exchange = {
  /** The incoming request. */
  request: IncomingMessage;
  /** The response being written. */
  response: ServerResponse;
  /** The request's log entry; the helpers below keep `status` and `outcome` true. */
  entry: RequestLogEntry;
  /**
   * Aborted when the connection closes (client gone, emulator closing, fault) so every pending
   * timer of the exchange is cleared at once.
   */
  signal: AbortSignal;
};

/** Sends the status line and headers, recording the status in the log entry. */
export function writeHead(options: {
  exchange: Exchange;
  status: number;
  headers: OutgoingHttpHeaders;
}): void {
  options.exchange.entry.status = options.status;
  options.exchange.response.writeHead(options.status, options.headers);
}

/** Starts a server-sent events answer: status 200 and the event-stream headers. */
export function writeEventStreamHead(options: {
  exchange: Exchange;
  /** Headers the answer carries besides the event-stream ones (gateway headers, credential). */
  headers: OutgoingHttpHeaders;
}): void {
  writeHead({
    exchange: options.exchange,
    status: 200,
    headers: {
      ...options.headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    },
  });
}

/** Sends a complete JSON response. */
export function sendJson(options: {
  exchange: Exchange;
  status: number;
  body: unknown;
  /** Extra headers. @default {} */
  headers?: OutgoingHttpHeaders;
}): void {
  const text = JSON.stringify(options.body);
  writeHead({
    exchange: options.exchange,
    status: options.status,
    headers: {
      ...options.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    },
  });
  options.exchange.response.end(text);
}

/** Options for {@link sendOpenAIError}. */
export type SendOpenAIErrorOptions = {
  /** The exchange to answer. */
  exchange: Exchange;
  /** HTTP status. */
  status: number;
  /** Error message. */
  message: string;
  /** Error code, e.g. `invalid_api_key`. */
  code: string;
  /** The request parameter at fault. @default null */
  param?: string;
  /** Extra headers. @default {} */
  headers?: OutgoingHttpHeaders;
};

/** Answers with an OpenAI-shaped error body of type `invalid_request_error`. */
export function sendOpenAIError(options: SendOpenAIErrorOptions): void {
  sendJson({
    exchange: options.exchange,
    status: options.status,
    body: createOpenAIErrorBody({
      message: options.message,
      code: options.code,
      param: options.param ?? null,
    }),
    headers: options.headers ?? {},
  });
}

/** Sends a complete plain-text response (e.g. an HTML error page a proxy might return). */
export function sendText(options: {
  exchange: Exchange;
  status: number;
  text: string;
  /** Extra headers; a `content-type` here wins. @default {} */
  headers?: OutgoingHttpHeaders;
}): void {
  writeHead({
    exchange: options.exchange,
    status: options.status,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      ...options.headers,
      'content-length': Buffer.byteLength(options.text),
    },
  });
  options.exchange.response.end(options.text);
}

/**
 * Writes to the response and resolves once the data has been handed to the socket, so a
 * following cut cannot swallow it. Resolves (never rejects) if the connection is already gone.
 */
export function writeFlushed(options: { exchange: Exchange; text: string }): Promise<void> {
  return new Promise((resolve) => {
    options.exchange.response.write(options.text, () => resolve());
  });
}

/** Resets the TCP connection (RST), so the client sees ECONNRESET with no response. */
export function resetConnection(exchange: Exchange): void {
  exchange.entry.outcome = 'reset';
  exchange.request.socket.resetAndDestroy();
}

/**
 * Waits `ms` milliseconds unless `signal` aborts first. Resolves `true` when the full time
 * passed, `false` when aborted; the timer is cleared on abort either way.
 */
export async function wait(options: { ms: number; signal: AbortSignal }): Promise<boolean> {
  if (options.ms <= 0) return !options.signal.aborted;
  try {
    await sleep(options.ms, undefined, { signal: options.signal });
    return true;
  } catch {
    return false;
  }
}
