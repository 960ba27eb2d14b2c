/**
 * Honest streaming. An attempt reads its stream until the first content chunk (the commit
 * point); a failure before it (HTTP error, error event, first-token or idle timeout, an empty
 * end) is an ordinary attempt failure, so the router can still fall back. After it, the stream
 * belongs to the caller: a failure, or an end without a finish reason, raises a typed
 * `StreamInterruptedError` carrying the partial output. Never a clean end, never two answers.
 */
import type OpenAI from 'openai';
import type { Stream } from 'openai/core/streaming';
import { type AttemptRecord, RouterError, StreamInterruptedError } from '../errors.ts';
import type { Redactor } from '../internal/redact.ts';
import { PreCommitStreamError } from './classify-error.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/**
 * Where body activity seen below the SDK (bytes, SSE comment lines included) is reported: the
 * idle watchdog of whoever reads the stream now.
 */
export type ActivityRelay = { onActivity: () => void };

/** A stream that reached its commit point. */
export type CommittedStream = {
  /** Chunks read so far (all up to and including the first content chunk). */
  readonly buffered: readonly Chunk[];
  /** The rest of the SDK stream. */
  readonly iterator: AsyncIterator<Chunk>;
  /** True when the stream already ended (complete) before or at commit. */
  readonly ended: boolean;
  /** Body activity of this attempt; the caller's stream points it at its own watchdog. */
  readonly activity: ActivityRelay;
};

/** Options of {@link openToCommit}. */
export type OpenToCommitOptions = {
  /**
   * Sends the request; resolves with the SDK stream once response headers arrive. `activity`
   * is to be called for every piece of the response body (see `observeActivity`).
   */
  open: (activity: () => void) => Promise<{ data: Stream<Chunk>; response: Response }>;
  /** Aborts the attempt (and the SDK's request) with a reason. */
  controller: AbortController;
  /** Longest wait for the first content chunk, from sending the request, ms. */
  firstTokenMs: number | undefined;
  /** Longest gap between chunks (before the first one: after the headers), ms. */
  idleMs: number;
};

/**
 * Sends a streaming request and reads it until the first chunk with content. Any failure
 * before that point throws, so the attempt can be retried or passed to the next target.
 */
export async function openToCommit(
  options: OpenToCommitOptions,
): Promise<CommittedStream & { response: Response }> {
  const { controller } = options;
  // The first-token limit covers the wait for headers too: a slow first byte is a slow first token.
  const firstTokenTimer =
    options.firstTokenMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new PreCommitStreamError(`no content within ${options.firstTokenMs} ms`, {
                errorClass: 'timeout',
              }),
            ),
          options.firstTokenMs,
        );
  // Before the first chunk the idle limit also covers the wait for response headers.
  const idle = watchIdle({ controller, idleMs: options.idleMs, what: 'data' });
  const activity: ActivityRelay = { onActivity: idle.touch };
  try {
    idle.begin();
    const { data, response } = await options.open(() => activity.onActivity());
    const iterator = data[Symbol.asyncIterator]();
    const buffered: Chunk[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The SDK ends a stream quietly when its request is aborted: a timeout shows as an end.
      if (controller.signal.reason instanceof PreCommitStreamError) throw controller.signal.reason;
      if (next.done === true) {
        if (buffered.some(hasFinishReason))
          return { buffered, iterator, ended: true, response, activity };
        throw new PreCommitStreamError('the stream ended before any content', {
          errorClass: 'interrupted_stream',
        });
      }
      buffered.push(next.value);
      if (isContentChunk(next.value)) {
        if (hasFailedChoice(next.value)) {
          throw new PreCommitStreamError(
            'the provider failed before any content (finish_reason "error")',
            { errorClass: 'server' },
          );
        }
        return { buffered, iterator, ended: false, response, activity };
      }
    }
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof PreCommitStreamError) throw reason;
    // Otherwise an HTTP error, or a failure inside the stream (an error event, a malformed
    // chunk, a cut) before any content: the caller classifies it.
    throw error;
  } finally {
    idle.stop();
    if (firstTokenTimer !== undefined) clearTimeout(firstTokenTimer);
  }
}

/** Options of {@link continueStream}. */
export type ContinueStreamOptions = {
  committed: CommittedStream;
  controller: AbortController;
  idleMs: number;
  model: string;
  upstream: string;
  /** The call's attempt log (built on demand: only an interrupted stream needs it). */
  attempts: () => readonly AttemptRecord[];
  /**
   * Blanks the serving upstream's secrets out of whatever the stream throws (an error event or
   * a cut may echo the key; the error's message, cause and fields all carry it).
   */
  redactor: Redactor;
  /** Frees timers and listeners when the stream is done, however it ends. */
  release: () => void;
  /**
   * Choices asked for (`n`): the stream is complete only when every one has finished.
   * @default 1
   */
  choices?: number;
  /** Sees every chunk the caller gets (usage, tracing). */
  onChunk?: (chunk: Chunk) => void;
};

/** The caller's stream after commit: the buffered chunks, then the rest, with honest endings. */
export async function* continueStream(options: ContinueStreamOptions): AsyncGenerator<Chunk> {
  const { committed, controller } = options;
  const expected = options.choices ?? 1;
  let partialContent = '';
  let chunks = 0;
  // Finished choices, by index; a choice counts once however many finish reasons it gets.
  const finishedChoices: boolean[] = [];
  let finished = 0;
  let failed = false;
  const onChunk = options.onChunk;
  const track = (chunk: Chunk) => {
    chunks += 1;
    onChunk?.(chunk);
    for (const choice of chunk.choices) {
      if (typeof choice.delta?.content === 'string') partialContent += choice.delta.content;
      const reason = choice.finish_reason;
      if (reason !== null && reason !== undefined && finishedChoices[choice.index] !== true) {
        finishedChoices[choice.index] = true;
        finished += 1;
        if ((reason as string) === 'error') failed = true;
      }
    }
  };
  let completed = false;
  const idle = watchIdle({ controller, idleMs: options.idleMs, what: 'chunk' });
  committed.activity.onActivity = idle.touch;
  try {
    for (const chunk of committed.buffered) {
      track(chunk);
      yield chunk;
    }
    if (!committed.ended) {
      for (;;) {
        let next: IteratorResult<Chunk>;
        try {
          idle.begin();
          next = await committed.iterator.next();
          idle.end();
        } catch (error) {
          const reason = controller.signal.reason;
          if (reason instanceof RouterError) throw reason; // the caller aborted
          if (isCallerAbort(reason)) throw abortedByCaller(options.model, reason);
          throw interrupted({
            ...options,
            partialContent,
            chunks,
            cause: reason instanceof Error ? reason : error,
            reason: describe(reason ?? error),
          });
        }
        const reason = controller.signal.reason;
        if (reason instanceof RouterError) throw reason; // the caller aborted
        if (isCallerAbort(reason)) throw abortedByCaller(options.model, reason);
        if (reason instanceof Error) {
          throw interrupted({
            ...options,
            partialContent,
            chunks,
            cause: reason,
            reason: reason.message,
          });
        }
        if (next.done === true) break;
        track(next.value);
        if (failed) break;
        yield next.value;
      }
    }
    if (failed) {
      throw interrupted({
        ...options,
        partialContent,
        chunks,
        cause: undefined,
        reason: 'the provider failed mid-answer (finish_reason "error")',
      });
    }
    if (finished < expected) {
      throw interrupted({
        ...options,
        partialContent,
        chunks,
        cause: undefined,
        reason:
          expected === 1
            ? 'the stream ended without a finish reason'
            : `the stream ended with ${finished} of ${expected} choices finished`,
      });
    }
    completed = true;
  } catch (error) {
    throw options.redactor.inPlace(error);
  } finally {
    idle.stop();
    if (!completed && !controller.signal.aborted) {
      // The consumer stopped early (break) or the stream failed: stop the request too.
      controller.abort(new RouterError('stream closed', { code: 'ABORTED' }));
    }
    await committed.iterator.return?.().catch(() => undefined);
    options.release();
  }
}

function interrupted(
  options: ContinueStreamOptions & {
    partialContent: string;
    chunks: number;
    cause: unknown;
    reason: string;
  },
) {
  return new StreamInterruptedError({
    model: options.model,
    upstream: options.upstream,
    partialContent: options.partialContent,
    chunks: options.chunks,
    attempts: options.attempts(),
    cause: options.cause,
    reason: options.reason,
  });
}

/**
 * An abort the router did not cause: the caller called `stream.controller.abort()`. The
 * router's own reasons are `RouterError`s (caller signal, deadline, close) and
 * `PreCommitStreamError`s (idle limit).
 */
function isCallerAbort(reason: unknown): boolean {
  return (
    reason !== undefined &&
    !(reason instanceof RouterError) &&
    !(reason instanceof PreCommitStreamError)
  );
}

function abortedByCaller(model: string, reason: unknown): RouterError {
  return new RouterError(`${model}: the call was aborted`, { code: 'ABORTED', cause: reason });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The idle limit: aborts the attempt when a wait between `begin` and `end` lasts `idleMs`. Time
 * outside one (the caller busy with a chunk) does not count. One timer, re-armed only when
 * it fires early, rather than a new timer for every chunk.
 */
export function watchIdle(options: { controller: AbortController; idleMs: number; what: string }) {
  const { controller, idleMs } = options;
  let waitingSince: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    const quiet = waitingSince === undefined ? 0 : performance.now() - waitingSince;
    if (waitingSince !== undefined && quiet >= idleMs) {
      timer = undefined;
      controller.abort(
        new PreCommitStreamError(`no ${options.what} for ${idleMs} ms`, { errorClass: 'timeout' }),
      );
      return;
    }
    timer = setTimeout(check, idleMs - quiet);
  };
  timer = setTimeout(check, idleMs);
  return {
    /** A wait for the upstream starts (headers, or the next chunk). */
    begin() {
      waitingSince = performance.now();
    },
    /** The wait ended: time until the next `begin` is the caller's, not the upstream's. */
    end() {
      waitingSince = undefined;
    },
    /** The upstream sent something (bytes below the SDK): a wait in progress starts again. */
    touch() {
      if (waitingSince !== undefined) waitingSince = performance.now();
    },
    stop() {
      clearTimeout(timer);
    },
  };
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
