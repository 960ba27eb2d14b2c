/**
 * The router's tracing seam: what it tells a tracer about a call and its attempts. The core
 * imports no tracing library; `switchyard-ai/otel` implements this with OpenTelemetry, and any
 * other tracer can. Without a `tracing` option the router does none of this work.
 */
import type { AttemptRecord } from '../errors.ts';
import type { CallContext, RouteInfo, TokenUsage } from './types.ts';

/** What a tracer learns when a call starts. */
export type TraceCallStart = {
  /** `chat` or `embeddings`. */
  readonly operation: 'chat' | 'embeddings';
  /** The name asked for (alias, `<gateway>:<model>`, ...). */
  readonly model: string;
  readonly stream: boolean;
  /** The request's own fields (messages, max_tokens, ...), as the caller wrote them. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The call's context (`RouterRequestOptions.context`). */
  readonly context?: CallContext;
};

/** One attempt, when it ends (or, for the serving attempt, when it commits). */
export type TraceAttempt = {
  readonly record: AttemptRecord;
  readonly error?: unknown;
  /** The gateway's type and request URL (without credentials). */
  readonly gatewayType: string;
  readonly url: string;
  /** The provider a `provider/model` string names (`openai` in `openai/gpt-4o`). */
  readonly provider?: string;
};

/** How a call ended. */
export type TraceCallEnd = {
  readonly route?: RouteInfo;
  readonly error?: unknown;
  readonly usage?: TokenUsage;
  /** The model the gateway says answered. */
  readonly responseModel?: string;
  readonly responseId?: string;
  readonly finishReasons?: readonly string[];
  /** The answer's text (read only by tracers that capture content). */
  readonly output?: string;
};

/** One call's trace. */
export type CallTrace = {
  attempt(attempt: TraceAttempt): void;
  end(end: TraceCallEnd): void;
};

/** A tracer for the router (see `switchyard-ai/otel`). */
export type RouterTracing = {
  /** A call starts; undefined means "not recorded" (the router then skips the rest). */
  startCall(start: TraceCallStart): CallTrace | undefined;
};
