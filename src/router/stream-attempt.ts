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
import { PreCommitStreamError } from './attempt-errors.ts';
import { type ActivityRelay, IdleWatch } from './idle-watch.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** A stream that reached its commit point. */
export type CommittedStream = {
  /** The SDK's stream object (its iterator is {@link CommittedStream.iterator}). */
  readonly stream: Stream<Chunk>;
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
  const idle = new IdleWatch(controller, options.idleMs, 'data');
  const activity: ActivityRelay = { onActivity: idle.touch };
  try {
    idle.begin();
    const { data, response } = await options.open(() => activity.onActivity());
    const iterator = chunksOf(data);
    const buffered: Chunk[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The SDK ends a stream quietly when its request is aborted: a timeout shows as an end.
      if (controller.signal.reason instanceof PreCommitStreamError) throw controller.signal.reason;
      if (next.done === true) {
        if (buffered.some(hasFinishReason))
          return { stream: data, buffered, iterator, ended: true, response, activity };
        throw new PreCommitStreamError('the stream ended before any content', {
          errorClass: 'interrupted_stream',
        });
      }
      normalizeChunk(next.value);
      buffered.push(next.value);
      if (isContentChunk(next.value)) {
        if (hasFailedChoice(next.value)) {
          throw new PreCommitStreamError(
            'the provider failed before any content (finish_reason "error")',
            { errorClass: 'server' },
          );
        }
        return { stream: data, buffered, iterator, ended: false, response, activity };
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

/**
 * The caller's stream after commit: the buffered chunks, then the rest, with honest endings.
 *
 * A hand-written iterator rather than an async generator: a generator layer costs a promise,
 * a result object and a queued request per chunk (about half a kilobyte of garbage each); this
 * one passes the SDK's own result object through and allocates one promise per chunk. It
 * behaves as the generator did: the idle watch starts with the first `next()`, a failure or an
 * incomplete end throws once (redacted) and then the iterator is done, and every way out (end,
 * failure, `return()` on a break) stops the watch, aborts a request still open, closes the SDK
 * stream and releases the call, in that order, before the last result settles.
 */
export function continueStream(options: ContinueStreamOptions): AsyncIterableIterator<Chunk> {
  return new CallerStream(options);
}

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class CallerStream implements AsyncIterableIterator<Chunk> {
  readonly #options: ContinueStreamOptions;
  readonly #expected: number;
  /** Content pieces so far, joined only when an interruption reports them. */
  readonly #content: string[] = [];
  #chunks = 0;
  /** Finished choices, by index; a choice counts once however many finish reasons it gets. */
  readonly #finishedChoices: boolean[] = [];
  #finished = 0;
  #failed = false;
  #completed = false;
  /** Buffered chunks handed out so far. */
  #position = 0;
  #idle: IdleWatch | undefined;
  #closed = false;
  /** A read of the SDK stream is in progress (`#last` settles when it is done). */
  #busy = false;
  #last: Promise<IteratorResult<Chunk>> | undefined;

  constructor(options: ContinueStreamOptions) {
    this.#options = options;
    this.#expected = options.choices ?? 1;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Chunk>> {
    // A call made while another is in progress waits for it, as with a generator.
    if (this.#busy) return this.#after(() => this.next());
    if (this.#closed) return Promise.resolve(doneResult);
    const { committed } = this.#options;
    let idle = this.#idle;
    if (idle === undefined) {
      idle = new IdleWatch(this.#options.controller, this.#options.idleMs, 'chunk');
      this.#idle = idle;
      committed.activity.onActivity = idle.touch;
    }
    if (this.#position < committed.buffered.length) {
      const chunk = committed.buffered[this.#position++] as Chunk;
      this.#track(chunk);
      return Promise.resolve({ done: false, value: chunk });
    }
    if (committed.ended) return this.#finish();
    idle.begin();
    this.#busy = true;
    const result = committed.iterator.next().then(this.#onResult, this.#onError);
    this.#last = result;
    return result;
  }

  return(): Promise<IteratorResult<Chunk>> {
    if (this.#busy) return this.#after(() => this.return());
    if (this.#closed) return Promise.resolve(doneResult);
    return this.#close().then(() => doneResult);
  }

  #after(call: () => Promise<IteratorResult<Chunk>>): Promise<IteratorResult<Chunk>> {
    return (this.#last as Promise<IteratorResult<Chunk>>).then(call, call);
  }

  readonly #onResult = (
    next: IteratorResult<Chunk>,
  ): IteratorResult<Chunk> | Promise<IteratorResult<Chunk>> => {
    this.#busy = false;
    (this.#idle as IdleWatch).end();
    const { controller } = this.#options;
    const reason = controller.signal.reason;
    if (reason instanceof RouterError) return this.#fail(reason); // the caller aborted
    if (isCallerAbort(reason)) return this.#fail(abortedByCaller(this.#options.model, reason));
    if (reason instanceof Error) return this.#fail(this.#interrupted(reason, reason.message));
    if (next.done === true) return this.#finish();
    normalizeChunk(next.value);
    this.#track(next.value);
    if (this.#failed) return this.#finish();
    // The SDK's own result object, passed through.
    return next;
  };

  readonly #onError = (error: unknown): Promise<IteratorResult<Chunk>> => {
    this.#busy = false;
    const reason = this.#options.controller.signal.reason;
    if (reason instanceof RouterError) return this.#fail(reason); // the caller aborted
    if (isCallerAbort(reason)) return this.#fail(abortedByCaller(this.#options.model, reason));
    return this.#fail(
      this.#interrupted(reason instanceof Error ? reason : error, describe(reason ?? error)),
    );
  };

  #track(chunk: Chunk): void {
    this.#chunks += 1;
    this.#options.onChunk?.(chunk);
    for (const choice of chunk.choices) {
      const content = choice.delta?.content;
      if (typeof content === 'string' && content !== '') this.#content.push(content);
      const reason = choice.finish_reason;
      if (reason !== null && reason !== undefined && this.#finishedChoices[choice.index] !== true) {
        this.#finishedChoices[choice.index] = true;
        this.#finished += 1;
        if ((reason as string) === 'error') this.#failed = true;
      }
    }
  }

  /** The end of the SDK stream (or a choice that failed): complete, or an interruption. */
  #finish(): Promise<IteratorResult<Chunk>> {
    if (this.#failed) {
      return this.#fail(
        this.#interrupted(undefined, 'the provider failed mid-answer (finish_reason "error")'),
      );
    }
    const expected = this.#expected;
    if (this.#finished < expected) {
      return this.#fail(
        this.#interrupted(
          undefined,
          expected === 1
            ? 'the stream ended without a finish reason'
            : `the stream ended with ${this.#finished} of ${expected} choices finished`,
        ),
      );
    }
    this.#completed = true;
    return this.#close().then(() => doneResult);
  }

  /** Closes the stream, then throws `error` with the upstream's secrets blanked. */
  #fail(error: unknown): Promise<never> {
    const redacted = this.#options.redactor.inPlace(error);
    return this.#close().then(() => {
      throw redacted;
    });
  }

  /** Stops the watch, aborts a request still open, closes the SDK stream, releases the call. */
  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { controller, committed } = this.#options;
    this.#idle?.stop();
    if (!this.#completed && !controller.signal.aborted) {
      // The consumer stopped early (break) or the stream failed: stop the request too.
      controller.abort(new RouterError('stream closed', { code: 'ABORTED' }));
    }
    try {
      await committed.iterator.return?.();
    } catch {
      // The SDK stream's own cleanup failing changes nothing for the caller.
    } finally {
      this.#options.release();
    }
  }

  #interrupted(cause: unknown, reason: string): StreamInterruptedError {
    const options = this.#options;
    return new StreamInterruptedError({
      model: options.model,
      upstream: options.upstream,
      partialContent: this.#content.join(''),
      chunks: this.#chunks,
      attempts: options.attempts(),
      cause,
      reason,
    });
  }
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
 * The SDK stream's parsed chunks, one async generator layer fewer than iterating the stream:
 * the SDK wraps its parser in a generator that copies every chunk to give each choice a
 * `finish_reason` (null when absent); the router reads the parser itself and does the same in
 * place ({@link normalizeChunk}), on chunks nobody else holds. When the parser is not where
 * this SDK keeps it, the stream is iterated as it is (normalizing again changes nothing).
 */
function chunksOf(stream: Stream<Chunk>): AsyncIterator<Chunk> {
  const parser = (stream as unknown as { iterator?: unknown }).iterator;
  return typeof parser === 'function'
    ? (parser as () => AsyncIterator<Chunk>).call(stream)
    : stream[Symbol.asyncIterator]();
}

/** Every choice of a chunk with a `finish_reason`, null when the gateway sent none (as the SDK does). */
function normalizeChunk(chunk: Chunk): void {
  const choices = (chunk as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return;
  for (const choice of choices as { finish_reason?: unknown }[]) {
    if (choice.finish_reason === undefined) choice.finish_reason = null;
  }
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
