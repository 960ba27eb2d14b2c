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
import { PreCommitStreamError } from './classify-error.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** A stream that reached its commit point. */
export type CommittedStream = {
  /** Chunks read so far (all up to and including the first content chunk). */
  readonly buffered: readonly Chunk[];
  /** The rest of the SDK stream. */
  readonly iterator: AsyncIterator<Chunk>;
  /** True when the stream already ended (complete) before or at commit. */
  readonly ended: boolean;
};

/** Options of {@link openToCommit}. */
export type OpenToCommitOptions = {
  /** Sends the request; resolves with the SDK stream once response headers arrive. */
  open: () => Promise<{ data: Stream<Chunk>; response: Response }>;
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
  try {
    idle.begin();
    const { data, response } = await options.open();
    const iterator = data[Symbol.asyncIterator]();
    const buffered: Chunk[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The SDK ends a stream quietly when its request is aborted: a timeout shows as an end.
      if (controller.signal.reason instanceof PreCommitStreamError) throw controller.signal.reason;
      if (next.done === true) {
        if (buffered.some(hasFinishReason)) return { buffered, iterator, ended: true, response };
        throw new PreCommitStreamError('the stream ended before any content', {
          errorClass: 'interrupted_stream',
        });
      }
      buffered.push(next.value);
      if (isContentChunk(next.value)) return { buffered, iterator, ended: false, response };
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
  attempts: readonly AttemptRecord[];
  /** Frees timers and listeners when the stream is done, however it ends. */
  release: () => void;
};

/** The caller's stream after commit: the buffered chunks, then the rest, with honest endings. */
export async function* continueStream(options: ContinueStreamOptions): AsyncGenerator<Chunk> {
  const { committed, controller } = options;
  let partialContent = '';
  let chunks = 0;
  let finished = false;
  const track = (chunk: Chunk) => {
    chunks += 1;
    for (const choice of chunk.choices) {
      if (typeof choice.delta?.content === 'string') partialContent += choice.delta.content;
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finished = true;
    }
  };
  let completed = false;
  const idle = watchIdle({ controller, idleMs: options.idleMs, what: 'chunk' });
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
        yield next.value;
      }
    }
    if (!finished) {
      throw interrupted({
        ...options,
        partialContent,
        chunks,
        cause: undefined,
        reason: 'the stream ended without a finish reason',
      });
    }
    completed = true;
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
    attempts: options.attempts,
    cause: options.cause,
    reason: options.reason,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The idle limit: aborts the attempt when a wait between `begin` and `end` lasts `idleMs`. Time
 * outside one (the caller busy with a chunk) does not count. One timer, re-armed only when
 * it fires early, rather than a new timer for every chunk.
 */
function watchIdle(options: { controller: AbortController; idleMs: number; what: string }) {
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
    stop() {
      clearTimeout(timer);
    },
  };
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
