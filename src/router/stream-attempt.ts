/**
 * Honest streaming, up to the commit point. An attempt reads its stream until the first content
 * (the commit point); a failure before it (HTTP error, error event, first-token or idle timeout,
 * an empty end) is an ordinary attempt failure, so the router can still fall back. After it,
 * the stream belongs to the caller (`caller-stream.ts`). Never a clean end, never two answers.
 *
 * One path for every kind of stream: what a commit point is ({@link CommitRule}) is the kind's
 * own; chat's is here, the Responses API's in `responses-stream.ts`.
 */
import type OpenAI from 'openai';
import { PreCommitStreamError } from './attempt-errors.ts';
import type { Call, SdkRequest } from './call.ts';
import { IdleWatch } from './idle-watch.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import { sseEvents } from './sse-events.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** A chat stream at its commit point. */
export type CommittedStream = Committed<Chunk>;

/**
 * Starts one streamed request through the SDK, aborted by `controller`; the router reads the
 * body itself (the SDK's request is asked for its response, never parsed).
 */
export type StartStream<T = Chunk> = (
  call: Call<Committed<T>>,
  target: ResolvedTarget,
  controller: AbortController,
) => SdkRequest<unknown>;

/** How a kind of stream (chat chunks, Responses events) reaches its commit point. */
export type CommitRule<T> = {
  /** What the upstream failed to send after commit, for the idle limit's message. */
  readonly item: string;
  /**
   * Takes one read before commit, adding its item to `buffered`: `more` to read on, `content`
   * (the first content) or `end` (the answer is already whole) to commit. Throws a
   * `PreCommitStreamError` when the read is a failure.
   */
  accept(next: IteratorResult<T>, buffered: T[]): 'more' | 'content' | 'end';
};

/**
 * Sends a streaming request to `target` on `controller` (by default the call's current one: a
 * hedged stream's second attempt has its own) and reads it until its
 * first content (as `rule` tells). Any failure before that point throws, so the attempt can be
 * retried or passed to the next target. The first-token limit covers the wait for headers too
 * (a slow first byte is a slow first token), and so does the idle limit before the first item.
 * The response headers end the attempt's hand-over share (see `startAttemptTimer`): a stream
 * that has answered is alive, however long its first content takes.
 */
export async function openToCommit<T>(
  call: Call<Committed<T>>,
  target: ResolvedTarget,
  start: StartStream<T>,
  rule: CommitRule<T>,
  controller: AbortController = call.signal.controller,
): Promise<Committed<T>> {
  const { firstTokenMs, idleMs } = call.plan.timeouts;
  const firstTokenTimer =
    firstTokenMs === undefined
      ? undefined
      : setTimeout(abortFirstToken, firstTokenMs, controller, firstTokenMs);
  const idle = new IdleWatch(controller, idleMs, 'data');
  let committed = false;
  let iterator: AsyncIterator<T> | undefined;
  try {
    idle.begin();
    const request = start(call, target, controller);
    // The response, not the SDK's `Stream`: the router reads the body itself, and every piece
    // it reads (SSE comment lines included) keeps the idle watch alive.
    const response = await request.asResponse();
    // Headers: the upstream is alive; from here the first-token and idle limits judge it.
    if (controller === call.signal.controller) call.signal.clearHandOver();
    iterator = sseEvents<T>(response, controller, idle.touch);
    const buffered: T[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The reader ends a stream quietly when its request is aborted: a timeout shows as an end.
      if (controller.signal.reason instanceof PreCommitStreamError) throw controller.signal.reason;
      const verdict = rule.accept(next, buffered);
      if (verdict !== 'more') {
        committed = true;
        idle.what = rule.item;
        return { buffered, iterator, ended: verdict === 'end', request, idle };
      }
    }
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof PreCommitStreamError) throw reason;
    // Otherwise an HTTP error, or a failure inside the stream (an error event, a malformed
    // chunk, a cut) before any content: the caller classifies it.
    throw error;
  } finally {
    // A committed stream keeps its watch and its body: the caller's reads go on with them. A
    // failed attempt's body is cancelled now (its connection freed), not left to the collector.
    if (!committed) {
      idle.stop();
      iterator?.return?.().catch(ignore);
    }
    if (firstTokenTimer !== undefined) clearTimeout(firstTokenTimer);
  }
}

function ignore(): void {}

/** The first-token limit passed: aborts the attempt (a timer's callback, no closure per attempt). */
export function abortFirstToken(controller: AbortController, firstTokenMs: number): void {
  controller.abort(
    new PreCommitStreamError(`no content within ${firstTokenMs} ms`, { errorClass: 'timeout' }),
  );
}

/**
 * A chat stream commits at its first content chunk, or at its end when a choice has finished
 * (an answer with no content); an end with nothing finished, or a first content chunk whose
 * choice failed, is a failure before commit.
 */
export const chatCommit: CommitRule<Chunk> = {
  item: 'chunk',
  accept(next, buffered) {
    if (next.done === true) {
      if (buffered.some(hasFinishReason)) return 'end';
      throw new PreCommitStreamError('the stream ended before any content', {
        errorClass: 'interrupted_stream',
      });
    }
    // Normalized once, when the caller's stream hands it out (`ChatProgress.track`).
    const chunk = next.value;
    buffered.push(chunk);
    if (!isContentChunk(chunk)) return 'more';
    if (hasFailedChoice(chunk)) {
      throw new PreCommitStreamError(
        'the provider failed before any content (finish_reason "error")',
        { errorClass: 'server' },
      );
    }
    return 'content';
  },
};

/** A stream at its commit point, whatever its items. */
export type Committed<T> = {
  /** Items read so far (all up to and including the first content). */
  readonly buffered: readonly T[];
  /** The rest of the stream (the router's own reader of the body: see `sse-events.ts`). */
  readonly iterator: AsyncIterator<T>;
  /** The stream already ended before or at commit. */
  readonly ended: boolean;
  /** The SDK's request: the response behind the stream. */
  readonly request: SdkRequest<unknown>;
  /** The attempt's idle watch, which the caller's reads go on using (body activity reaches it). */
  readonly idle: IdleWatch;
};

/** Every choice of a chunk with a `finish_reason`, null when the gateway sent none (as the SDK does). */
export function normalizeChunk(chunk: Chunk): Chunk {
  const choices = (chunk as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return chunk;
  for (const choice of choices as { finish_reason?: unknown }[]) {
    if (choice.finish_reason === undefined) choice.finish_reason = null;
  }
  return chunk;
}

/** A choice that finished with `"error"` (OpenRouter's mid-stream failure; not in OpenAI's set). */
function hasFailedChoice(chunk: Chunk): boolean {
  return chunk.choices.some((choice) => (choice.finish_reason as string | null) === 'error');
}

function hasFinishReason(chunk: Chunk): boolean {
  return chunk.choices.some(
    (choice) => choice.finish_reason !== null && choice.finish_reason !== undefined,
  );
}

/** A chunk that carries part of the answer: text, a refusal, tool calls, or the finish. */
function isContentChunk(chunk: Chunk): boolean {
  return chunk.choices.some((choice) => {
    const delta = choice.delta;
    return (
      (typeof delta?.content === 'string' && delta.content !== '') ||
      (typeof delta?.refusal === 'string' && delta.refusal !== '') ||
      (delta?.tool_calls?.length ?? 0) > 0 ||
      delta?.function_call !== undefined ||
      (choice.finish_reason !== null && choice.finish_reason !== undefined)
    );
  });
}
