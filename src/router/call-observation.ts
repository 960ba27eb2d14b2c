/**
 * What the router reads from a call for observability: token usage, the answer's model, id and
 * finish reasons, the call's context in Cloudflare's log metadata, and the glue between a call
 * and its trace (hooks that report attempts, a stream that ends its trace when it ends).
 */
import type OpenAI from 'openai';
import type { ResolvedPlan } from './resolve-plan.ts';
import { hooksOrigin } from './run-hook.ts';
import type { CallTrace, TraceCallEnd } from './tracing.ts';
import type { RouteInfo, RouterHooks, TokenUsage } from './types.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/**
 * `usage` of an OpenAI-shaped response (or stream chunk), or undefined when it has none. Chat
 * and embeddings count `prompt_tokens` / `completion_tokens`; the Responses API counts
 * `input_tokens` / `output_tokens`.
 */
export function usageOf(value: unknown): TokenUsage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const count = (name: string) => {
    const field = record[name];
    return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
  };
  const inputTokens = count('prompt_tokens') ?? count('input_tokens');
  const outputTokens = count('completion_tokens') ?? count('output_tokens');
  const totalTokens = count('total_tokens');
  if (inputTokens === undefined && outputTokens === undefined && totalTokens === undefined)
    return undefined;
  const details = record['prompt_tokens_details'] ?? record['input_tokens_details'];
  const cached = (details as { cached_tokens?: unknown } | null | undefined)?.cached_tokens;
  const cachedInputTokens =
    typeof cached === 'number' && Number.isFinite(cached) && cached > 0 ? cached : undefined;
  return Object.freeze({
    ...(inputTokens === undefined ? {} : { inputTokens }),
    ...(cachedInputTokens === undefined ? {} : { cachedInputTokens }),
    ...(outputTokens === undefined ? {} : { outputTokens }),
    ...(totalTokens === undefined ? {} : { totalTokens }),
  });
}

/**
 * What a plain answer tells a trace: model, id, usage, finish reasons and text. A Responses API
 * answer has no finish reasons: its `status` (`completed`, `incomplete`) stands for them.
 */
export function describeAnswer(value: unknown): Omit<TraceCallEnd, 'route' | 'error'> {
  if ((value as { object?: unknown } | null)?.object === 'response') return describeResponse(value);
  const answer = value as {
    model?: unknown;
    id?: unknown;
    usage?: unknown;
    choices?: { finish_reason?: unknown; message?: { content?: unknown } }[];
  };
  const usage = usageOf(answer.usage);
  const reasons: string[] = [];
  let output = '';
  for (const choice of Array.isArray(answer.choices) ? answer.choices : []) {
    if (typeof choice.finish_reason === 'string') reasons.push(choice.finish_reason);
    if (typeof choice.message?.content === 'string') output += choice.message.content;
  }
  return {
    ...(typeof answer.model === 'string' ? { responseModel: answer.model } : {}),
    ...(typeof answer.id === 'string' ? { responseId: answer.id } : {}),
    ...(usage === undefined ? {} : { usage }),
    ...(reasons.length === 0 ? {} : { finishReasons: reasons }),
    ...(Array.isArray(answer.choices) ? { output } : {}),
  };
}

/** What a Responses API answer tells a trace. */
function describeResponse(value: unknown): Omit<TraceCallEnd, 'route' | 'error'> {
  const answer = value as { model?: unknown; id?: unknown; usage?: unknown; status?: unknown };
  const usage = usageOf(answer.usage);
  // The SDK adds `output_text` (every output_text part, joined) to a plain response.
  const output = (value as { output_text?: unknown }).output_text;
  return {
    ...(typeof answer.model === 'string' ? { responseModel: answer.model } : {}),
    ...(typeof answer.id === 'string' ? { responseId: answer.id } : {}),
    ...(usage === undefined ? {} : { usage }),
    ...(typeof answer.status === 'string' ? { finishReasons: [answer.status] } : {}),
    ...(typeof output === 'string' ? { output } : {}),
  };
}

/** Collects what a traced stream tells its trace, item by item (chat chunks by default). */
export type StreamObserver<T = Chunk> = {
  observe(item: T): void;
  result(): Omit<TraceCallEnd, 'route' | 'error'>;
};

/** A {@link StreamObserver}. */
export function streamObserver(): StreamObserver {
  let model: string | undefined;
  let id: string | undefined;
  let usage: TokenUsage | undefined;
  let output = '';
  const reasons: string[] = [];
  return {
    observe(chunk) {
      if (model === undefined && typeof chunk.model === 'string') model = chunk.model;
      if (id === undefined && typeof chunk.id === 'string') id = chunk.id;
      if (chunk.usage !== undefined && chunk.usage !== null) usage = usageOf(chunk.usage) ?? usage;
      for (const choice of chunk.choices ?? []) {
        if (typeof choice.delta?.content === 'string') output += choice.delta.content;
        if (typeof choice.finish_reason === 'string') reasons.push(choice.finish_reason);
      }
    },
    result() {
      return {
        ...(model === undefined ? {} : { responseModel: model }),
        ...(id === undefined ? {} : { responseId: id }),
        ...(usage === undefined ? {} : { usage }),
        ...(reasons.length === 0 ? {} : { finishReasons: reasons }),
        output,
      };
    },
  };
}

/** Options of {@link traceStream}. */
export type TraceStreamOptions<T = Chunk> = {
  source: AsyncIterableIterator<T>;
  trace: CallTrace | undefined;
  seen: StreamObserver<T> | undefined;
  route: RouteInfo;
};

/** The caller's stream; with a trace, the trace ends when the stream does (however it ends). */
export function traceStream<T>(options: TraceStreamOptions<T>): AsyncIterableIterator<T> {
  const { trace, seen, source } = options;
  if (trace === undefined || seen === undefined) return source;
  return (async function* () {
    let ended = false;
    try {
      yield* source;
      ended = true;
      trace.end({ route: options.route, ...seen.result() });
    } catch (error) {
      ended = true;
      trace.end({ route: options.route, ...seen.result(), error });
      throw error;
    } finally {
      // The caller stopped reading (break, cancel): the call ends here.
      if (!ended) trace.end({ route: options.route, ...seen.result() });
    }
  })();
}

/** The router's hooks, with each attempt also reported to the call's trace. */
export function tracedHooks(options: {
  hooks: RouterHooks;
  trace: CallTrace;
  plan: ResolvedPlan;
}): RouterHooks {
  const { hooks, trace, plan } = options;
  const traced: RouterHooks & { [hooksOrigin]?: RouterHooks } = {
    ...hooks,
    // Hook failures are reported once per router, so they are counted on the router's hooks.
    [hooksOrigin]: hooks,
    onAttempt: (state) => {
      const target = plan.targets[state.attempt.targetIndex];
      try {
        trace.attempt({
          record: state.attempt,
          ...(state.error === undefined ? {} : { error: state.error }),
          gatewayType: target?.gateway.type ?? 'unknown',
          url: target === undefined ? '' : `${target.setup.baseURL}`,
          ...(target?.upstream.provider === undefined
            ? {}
            : { provider: target.upstream.provider }),
        });
      } catch {
        // A tracer's failure must not change the call's outcome.
      }
      // Returned, so a rejected promise from an async hook is caught like any other.
      return hooks.onAttempt?.(state);
    },
  };
  return traced;
}
