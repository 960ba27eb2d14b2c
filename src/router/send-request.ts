/**
 * The requests a router sends, one function per operation (plain chat completion, embeddings,
 * streamed chat completion up to its first content), all of the {@link Send} shape. Each builds
 * the body (the target's fields under the caller's, the target's model string) and the
 * per-request options (the target's headers under the caller's, and the call's signal for the
 * router's fetch), then calls the pooled client for the target.
 */
import type OpenAI from 'openai';
import type { AnswerField, Call, PlainOperation, SdkRequest, Send, Sent } from './call.ts';
import { callKey, callSignalKey } from './call-signal.ts';
import { checkAnswer } from './check-answer.ts';
import type { ClientPool } from './client-pool.ts';
import { readByRouter } from './json-body.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import {
  type CommittedStream,
  chatCommit,
  openToCommit,
  type StartStream,
} from './stream-attempt.ts';
import type { RouterRequestOptions } from './types.ts';

type RequestHeaders = RouterRequestOptions['headers'];

/** The senders of one router. */
export type Senders = {
  readonly chat: PlainOperation<OpenAI.Chat.ChatCompletion>;
  readonly embeddings: PlainOperation<OpenAI.CreateEmbeddingResponse>;
  readonly chatStream: StreamOperation;
};

/** What a streamed attempt holds at its commit point: at least the SDK's request. */
export type CommittedAttempt = { readonly request: { asResponse(): Promise<Response> } };

/**
 * A streamed operation: how to open one attempt on a target and read it to its commit point (the
 * success path), and the same as one {@link Send} for the walker, whose attempts read the
 * response before they report.
 */
export type StreamOperation<C extends CommittedAttempt = CommittedStream> = {
  /**
   * Opens an attempt on the call's current controller, or on `controller` when given (a hedged
   * stream's second attempt: only an operation with `hedges` honours it).
   */
  readonly open: (
    call: Call<C>,
    target: ResolvedTarget,
    controller?: AbortController,
  ) => Promise<C>;
  readonly send: Send<C>;
  /** Whether an alias's `hedge` applies (chat completions streams). */
  readonly hedges?: true;
};

/** Creates the senders over a client pool. */
export function createSenders(pool: ClientPool): Senders {
  return {
    chat: plainOperation({
      field: 'choices',
      start: (call, target, controller) => {
        const client = pool.get(target.setup);
        // A chat completion is its body as it is: read by the router (see `json-body.ts`).
        return readByRouter(
          client.chat.completions.create(
            bodyFor(
              target,
              call.params,
            ) as unknown as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
            requestOptionsFor(call, target, controller),
          ),
          client,
        );
      },
    }),
    embeddings: plainOperation({
      field: 'data',
      start: (call, target, controller) =>
        pool
          .get(target.setup)
          .embeddings.create(
            bodyFor(target, call.params) as unknown as OpenAI.EmbeddingCreateParams,
            requestOptionsFor(call, target, controller),
          ),
    }),
    chatStream: chatStreamOperation((call, target, controller) =>
      pool.get(target.setup).chat.completions.create(
        // The caller's params say `stream: true`: the body is a stream's as it is.
        bodyFor(target, call.params) as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
        requestOptionsFor(call, target, controller),
      ),
    ),
  };
}

/**
 * A streamed operation from how it opens an attempt to its commit point: the success path opens
 * it itself (see `runStream`); the walker's attempts read the response before they report.
 */
export function streamOperation<C extends CommittedAttempt>(
  open: StreamOperation<C>['open'],
  hedges?: true,
): StreamOperation<C> {
  return {
    open,
    send: (call, target) => open(call, target).then(committedAsSent),
    ...(hedges === undefined ? {} : { hedges }),
  };
}

async function committedAsSent<C extends CommittedAttempt>(committed: C): Promise<Sent<C>> {
  return { value: committed, response: await committed.request.asResponse() };
}

/** The chat completions stream's operation: the SDK's chat stream, read to its first content. */
function chatStreamOperation(start: StartStream): StreamOperation {
  return streamOperation(
    (call, target, controller) => openToCommit(call, target, start, chatCommit, controller),
    true,
  );
}

/** A plain operation from how it starts a request and what its answer holds. */
export function plainOperation<T>(options: {
  start: PlainOperation<T>['start'];
  field: AnswerField;
}): PlainOperation<T> {
  const { start, field } = options;
  return {
    start,
    field,
    send: async (call, target, controller) => {
      const request: SdkRequest<T> = start(call, target, controller);
      return answer(await request, await request.asResponse(), field);
    },
  };
}

/** A parsed 200 as the call's value, unless its body is not an answer (HTML, an error envelope...). */
export function answer<T>(value: T, response: Response, field: AnswerField) {
  const unusable = checkAnswer({ value, field, response });
  if (unusable !== undefined) throw unusable;
  return { value, response };
}

/** The request body for a target: its fields under the caller's, and its own model string. */
export function bodyFor(
  target: ResolvedTarget,
  params: Call<unknown>['params'],
): Record<string, unknown> {
  return { ...target.body, ...params, model: target.upstream.model };
}

/**
 * Per-request options: the target's headers under the caller's, and the call's signal for the
 * router's fetch (never the SDK's `signal`, which would cost a composed signal per request).
 */
export function requestOptionsFor<T>(
  call: Call<T>,
  target: ResolvedTarget,
  controller: AbortController,
) {
  const fetchOptions = {
    [callSignalKey]: controller.signal,
    [callKey]: call.signal,
  } as Record<string, never>;
  const headers = mergeHeaders(
    call.context === undefined || target.withContext === undefined
      ? target.headers
      : target.withContext(target.headers, call.context),
    call.headers,
  );
  return headers === undefined ? { fetchOptions } : { headers, fetchOptions };
}

/** The target's headers under the caller's (the caller wins), as one record; undefined when none. */
function mergeHeaders(
  target: Readonly<Record<string, string>>,
  caller: RequestHeaders,
): Record<string, string | null> | undefined {
  if (caller === undefined || caller === null) {
    // Most calls add nothing; the SDK only reads the record, so it needs no copy.
    for (const _ in target) return target as Record<string, string>;
    return undefined;
  }
  const merged: Record<string, string | null> = { ...target };
  const entries: [string, unknown][] =
    caller instanceof Headers
      ? [...caller]
      : Array.isArray(caller)
        ? (caller as [string, unknown][])
        : Object.entries(caller as object);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    merged[key] =
      value === null
        ? null
        : key === 'cf-aig-metadata'
          ? mergeMetadata(target[key], String(value))
          : String(value);
  }
  return merged;
}

/**
 * A request's `cf-aig-metadata` merged over the configured one, key by key (the request wins),
 * as the config merges gateway, upstream and alias metadata. A value that is not a JSON object
 * is sent as given, for the gateway to judge.
 */
function mergeMetadata(configured: string | undefined, request: string): string {
  if (configured === undefined) return request;
  const parse = (text: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };
  const base = parse(configured);
  const extra = parse(request);
  if (base === undefined || extra === undefined) return request;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) merged[key] = value;
  return JSON.stringify(merged);
}
