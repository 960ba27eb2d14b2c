/**
 * Fault rules, the types: the failures the emulator can play instead of (or in the middle of)
 * an answer (an HTTP status, a delay, a hang, a cut body, stream errors and stalls, malformed
 * chunks), which requests a rule matches, and how many times it fires. They are checked in
 * `parse-fault.ts` and kept in order by `fault-registry.ts`.
 */
/**
 * Answer with an HTTP error status instead of a completion.
 *
 * @example `{ type: 'status', status: 429, headers: { 'retry-after': '2' } }`
 */
export type StatusFault = {
  type: 'status';
  /** HTTP status code, 200-599 (a 200 with a custom `body` makes a malformed success). */
  status: number;
  /**
   * Error `code` for the default body, shaped by the route's personality (OpenAI, OpenRouter,
   * Vercel, Cloudflare). A string is an OpenAI-style code (`context_length_exceeded` and
   * `content_filter` get OpenAI's messages for them); a number is a gateway code: on a Cloudflare
   * route, e.g. 2003 or 2041, it gets Cloudflare's `AiGatewayError` envelope.
   * @default a code typical of the status, e.g. `rate_limit_exceeded` for 429
   */
  code?: string | number;
  /** Message for the default body. @default a message typical of the status */
  message?: string;
  /**
   * The whole response body, replacing the OpenAI-shaped default. A string is sent verbatim as
   * `text/plain` (e.g. an HTML error page); anything else is sent as JSON.
   * @default the personality's error body for `status`, `code` and `message`
   */
  body?: unknown;
  /**
   * Extra response headers, e.g. `retry-after` (seconds or HTTP date), `retry-after-ms`,
   * `x-should-retry`.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
};

/** Reset the TCP connection before any response header is sent (the client sees ECONNRESET). */
export type ResetFault = { type: 'reset' };

/** Never respond; the request stays open until the client gives up or the emulator closes. */
export type HangFault = { type: 'hang' };

/** Wait before sending the response headers (a slow first byte), then answer normally. */
export type DelayFault = {
  type: 'delay';
  /** Delay before the status line, in milliseconds. */
  ms: number;
};

/** Streaming only: destroy the socket after some content chunks, with no `[DONE]`. */
export type StreamCutFault = {
  type: 'stream-cut';
  /** Content chunks sent before the cut. @default 1 */
  afterChunks?: number;
};

/**
 * Streaming only: after some content chunks, send `data: {"error": {...}}` inside the 200 stream
 * and end the response (no `[DONE]`), as providers do when they fail mid-generation.
 */
export type StreamErrorFault = {
  type: 'stream-error';
  /** Content chunks sent before the error event. @default 1 */
  afterChunks?: number;
  /** Error message. @default 'The server had an error while processing your request.' */
  message?: string;
  /** Error code. @default 'server_error' */
  code?: string;
};

/**
 * Streaming only: after some content chunks, send nothing for a while (or forever) while keeping
 * the socket open. With `ms` the rest of the stream follows the pause.
 */
export type StreamStallFault = {
  type: 'stream-stall';
  /** Content chunks sent before the stall. @default 1 */
  afterChunks?: number;
  /** Length of the stall in milliseconds. @default undefined (stall until the client or the emulator closes) */
  ms?: number;
};

/** Streaming only: send every chunk, then end the response without `data: [DONE]`. */
export type StreamNoDoneFault = { type: 'stream-no-done' };

/**
 * Streaming only: a slow but live upstream. Before the first chunk (a Responses stream: its
 * first event), send only SSE comment lines (`: OPENROUTER PROCESSING` on OpenRouter routes,
 * `: keep-alive` elsewhere) every `everyMs` for `ms`, then the stream.
 */
export type KeepAliveFault = {
  type: 'keep-alive';
  /** How long the comments go on before the first chunk, in milliseconds. */
  ms: number;
  /** Gap between two comments, in milliseconds. @default 100 */
  everyMs?: number;
};

/**
 * Streaming only: after some content chunks, a chunk whose choice finishes with `"error"` and no
 * top-level `error`, then `[DONE]` (a provider failure that looks like an ending).
 */
export type FinishErrorFault = {
  type: 'finish-error';
  /** Content chunks sent before it. @default 1 */
  afterChunks?: number;
};

/**
 * Status 200 with an error envelope instead of a completion, as OpenRouter answers when the
 * provider fails after processing started: `{"error": {"code": 502, "message": ...}}`.
 */
export type ErrorIn200Fault = {
  type: 'error-200';
  /** The envelope's numeric code. @default 502 */
  code?: number;
  /** @default 'Provider returned error' */
  message?: string;
};

/**
 * Non-streaming only: send the headers (with the full `content-length`) and the first half of
 * the JSON body, then cut the connection (undici reports `TypeError: terminated`).
 */
export type BodyCutFault = { type: 'body-cut' };

/**
 * Streaming only: after some content chunks, send one `data:` line that is not valid JSON, then
 * the rest of the stream and `[DONE]` (a lenient parser could skip it; the OpenAI SDK throws).
 */
export type MalformedChunkFault = {
  type: 'malformed-chunk';
  /** Content chunks sent before the malformed line. @default 1 */
  afterChunks?: number;
  /** The raw text after `data: `. @default '{"id":"chatcmpl-emu","choices":[{"delta":' */
  data?: string;
};

/** Default `malformed-chunk` payload: the start of a chunk, cut off mid-object. */
export const defaultMalformedData = '{"id":"chatcmpl-emu","choices":[{"delta":';

/** Answer with a redirect to another origin instead of a completion. */
export type RedirectFault = {
  type: 'redirect';
  /** Absolute URL for the `Location` header. */
  location: string;
  /** Redirect status. @default 302 */
  status?: 301 | 302 | 303 | 307 | 308;
};

/** A failure the emulator can inject, discriminated on `type`. */
export type Fault =
  | StatusFault
  | ResetFault
  | HangFault
  | DelayFault
  | StreamCutFault
  | StreamErrorFault
  | StreamStallFault
  | StreamNoDoneFault
  | MalformedChunkFault
  | RedirectFault
  | KeepAliveFault
  | FinishErrorFault
  | ErrorIn200Fault
  | BodyCutFault;

/** Which requests a {@link FaultRule} applies to; every given field must match. */
export type FaultMatch = {
  /** The request body's `model`, compared exactly (e.g. `openai/gpt-4o-mini`). @default any model */
  model?: string;
  /** A substring of the URL path (an exact path matches too), e.g. `/embeddings`. @default any path */
  path?: string;
  /**
   * The gateway: `accountId/gatewayId` of a Cloudflare route, a route kind (`cloudflare` or
   * `openai-compatible`), or a personality (`openrouter`, `vercel`, `openai`).
   * @default any gateway
   */
  gateway?: string;
  /** Only streaming (`true`) or only non-streaming (`false`) requests. @default both */
  stream?: boolean;
};

/** A fault and the requests it applies to. */
export type FaultRule = {
  /** Which requests it applies to. @default {} (every request) */
  match?: FaultMatch;
  /**
   * How many matching requests it applies to; afterwards the rule is spent.
   * @default undefined (unlimited)
   */
  times?: number;
  /** The failure to inject. */
  fault: Fault;
};

/** Returned by `emulator.inject(rule)`. */
export type FaultHandle = {
  /** Rule id, unique within one emulator, in insertion order (1, 2, ...). */
  readonly id: number;
  /** How many requests the rule has been applied to so far. */
  readonly applied: number;
  /** Applications left, or `undefined` when unlimited. */
  readonly remaining: number | undefined;
  /** Removes the rule; requests already faulted are not affected. */
  remove(): void;
};

/** The facts about a request that fault rules are matched against. */
export type FaultTarget = {
  /** Request body `model`, when present. */
  model: string | undefined;
  /** URL path. */
  path: string;
  /** `accountId/gatewayId` for Cloudflare routes. */
  gateway: string | undefined;
  /** Route kind. */
  kind: string;
  /** The route's personality (`cloudflare`, `openrouter`, `vercel`, `openai`). */
  personality?: string;
  /** Whether the request asked for a stream. */
  stream: boolean;
};

/** A fault chosen for a request, and the rule it came from (absent for header faults). */
export type SelectedFault = { fault: Fault; ruleId?: number };

const streamOnlyTypes: ReadonlySet<Fault['type']> = new Set([
  'stream-cut',
  'stream-error',
  'stream-stall',
  'stream-no-done',
  'malformed-chunk',
  'keep-alive',
  'finish-error',
]);

/** Whether a fault only makes sense inside a streamed response. */
export function isStreamFault(fault: Fault): boolean {
  return streamOnlyTypes.has(fault.type);
}
