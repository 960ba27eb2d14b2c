/**
 * Honest streaming, after the commit point: the stream belongs to the caller, and a failure, or
 * an end without a whole answer, raises a typed `StreamInterruptedError` carrying the partial
 * output. Never a clean end, never two answers. When an answer is whole is the kind of stream's
 * own ({@link AnswerProgress}): chat's is here, the Responses API's in `responses-stream.ts`.
 */
import type OpenAI from 'openai';
import { RouterError, StreamInterruptedError } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import { PreCommitStreamError } from './attempt-errors.ts';
import type { Served } from './attempt-log.ts';
import type { Call } from './call.ts';
import { usageOf } from './call-observation.ts';
import { type Committed, normalizeChunk } from './stream-attempt.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/**
 * What the caller's stream knows of the answer so far, for its kind of item (chat chunks,
 * Responses events): what to count and keep for an interruption, when the answer is whole, and
 * why it is not.
 */
export interface AnswerProgress<T> {
  /** The text received so far (an interruption's partial output). */
  readonly content: string;
  /** Items received so far. */
  readonly count: number;
  /** The last item seen ended the answer as a failure: it is not handed out. */
  readonly failed: boolean;
  /** The answer is whole: nothing more is read (a Responses terminal event). */
  readonly whole: boolean;
  /** Sees an item before the caller gets it. */
  track(item: T): void;
  /** Why the answer is not whole when the stream stops here; undefined when it is. */
  incomplete(): string | undefined;
}

/** Options of {@link continueStream}. */
export type ContinueStreamOptions<T> = {
  /** The call, at its commit point: its controller stops the stream, its signal is released. */
  call: Call<Committed<T>>;
  /** The call's result: its route is read on failure. */
  served: Served<Committed<T>>;
  /** The answer so far (it also keeps the call's usage up to date). */
  progress: AnswerProgress<T>;
  /** Sees every item the caller gets (tracing). */
  observer?: { observe(item: T): void } | undefined;
};

/**
 * The caller's stream after commit: the buffered items, then the rest, with honest endings.
 *
 * A hand-written iterator rather than an async generator: a generator layer costs a promise,
 * a result object and a queued request per item (about half a kilobyte of garbage each); this
 * one passes the reader's result object through and allocates one promise per item. It
 * behaves as a generator would: the attempt's idle watch goes on with the caller's reads, a
 * failure or an incomplete end throws once (redacted) and then the iterator is done, and every
 * way out (end, failure, `return()` on a break) stops the watch, aborts a request still open,
 * closes the body reader and releases the call, in that order, before the last result settles.
 */
export function continueStream<T>(options: ContinueStreamOptions<T>): AsyncIterableIterator<T> {
  return new CallerStream(options);
}

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class CallerStream<T> implements AsyncIterableIterator<T> {
  readonly #call: Call<Committed<T>>;
  readonly #served: Served<Committed<T>>;
  readonly #committed: Committed<T>;
  /** The call's controller at commit (no attempt follows, so it is the stream's for good). */
  readonly #controller: AbortController;
  readonly #progress: AnswerProgress<T>;
  readonly #observer: ContinueStreamOptions<T>['observer'];
  #completed = false;
  /** Buffered items handed out so far. */
  #position = 0;
  #closed = false;
  /** A read of the body is in progress (`#last` settles when it is done). */
  #busy = false;
  #last: Promise<IteratorResult<T>> | undefined;

  constructor(options: ContinueStreamOptions<T>) {
    this.#call = options.call;
    this.#served = options.served;
    this.#committed = options.served.value;
    this.#controller = options.call.signal.controller;
    this.#progress = options.progress;
    this.#observer = options.observer;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    // A call made while another is in progress waits for it, as with a generator.
    if (this.#busy) return this.#after(() => this.next());
    if (this.#closed) return Promise.resolve(doneResult);
    const committed = this.#committed;
    if (this.#position < committed.buffered.length) {
      const item = committed.buffered[this.#position++] as T;
      this.#track(item);
      return Promise.resolve({ done: false, value: item });
    }
    if (committed.ended || this.#progress.whole) return this.#finish();
    committed.idle.begin();
    this.#busy = true;
    const result = committed.iterator.next().then(this.#onResult, this.#onError);
    this.#last = result;
    return result;
  }

  return(): Promise<IteratorResult<T>> {
    if (this.#busy) return this.#after(() => this.return());
    if (this.#closed) return Promise.resolve(doneResult);
    return this.#close().then(() => doneResult);
  }

  #after(call: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    return (this.#last as Promise<IteratorResult<T>>).then(call, call);
  }

  readonly #onResult = (
    next: IteratorResult<T>,
  ): IteratorResult<T> | Promise<IteratorResult<T>> => {
    this.#busy = false;
    this.#committed.idle.end();
    const reason = this.#controller.signal.reason;
    if (reason instanceof RouterError) return this.#fail(reason); // the caller aborted
    if (isCallerAbort(reason)) return this.#fail(abortedByCaller(this.#call.params.model, reason));
    if (reason instanceof Error) return this.#interrupt(reason, reason.message);
    if (next.done === true) return this.#finish();
    this.#track(next.value);
    if (this.#progress.failed) return this.#finish();
    // The reader's own result object, passed through.
    return next;
  };

  readonly #onError = (error: unknown): Promise<IteratorResult<T>> => {
    this.#busy = false;
    const reason = this.#controller.signal.reason;
    if (reason instanceof RouterError) return this.#fail(reason); // the caller aborted
    if (isCallerAbort(reason)) return this.#fail(abortedByCaller(this.#call.params.model, reason));
    return this.#interrupt(reason instanceof Error ? reason : error, describe(reason ?? error));
  };

  #track(item: T): void {
    this.#progress.track(item);
    if (!this.#progress.failed) this.#observer?.observe(item);
  }

  /** The stream stops here (its end, or the answer whole or failed): complete, or an interruption. */
  #finish(): Promise<IteratorResult<T>> {
    const reason = this.#progress.incomplete();
    if (reason !== undefined) return this.#interrupt(undefined, reason);
    // Complete: the watch stops and the call is released, with no async step; the reader
    // cancels at once whatever is left of the body (nothing, when it was read to its end).
    this.#completed = true;
    this.#closed = true;
    this.#committed.idle.stop();
    this.#committed.iterator.return?.().catch(ignore);
    this.#call.signal.dispose();
    return Promise.resolve(doneResult);
  }

  /** Closes the stream, then throws `error` with the upstream's secrets blanked. */
  #fail(error: unknown): Promise<never> {
    const redacted = redactorFor(this.#served.target.setup.secrets).inPlace(error);
    return this.#close().then(() => {
      throw redacted;
    });
  }

  /**
   * Fails with a `StreamInterruptedError` carrying the partial output and the attempt log
   * (whose record needs the serving response: read from the SDK now, on this rare path).
   */
  #interrupt(cause: unknown, reason: string): Promise<never> {
    const served = this.#served;
    return served.settle().then(() =>
      this.#fail(
        new StreamInterruptedError({
          model: this.#call.params.model,
          upstream: served.target.upstream.name,
          partialContent: this.#progress.content,
          chunks: this.#progress.count,
          attempts: served.route.attempts,
          cause,
          reason,
        }),
      ),
    );
  }

  /** Stops the watch, aborts a request still open, closes the body reader, releases the call. */
  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const controller = this.#controller;
    this.#committed.idle.stop();
    if (!this.#completed && !controller.signal.aborted) {
      // The consumer stopped early (break) or the stream failed: stop the request too.
      controller.abort(new RouterError('stream closed', { code: 'ABORTED' }));
    }
    try {
      await this.#committed.iterator.return?.();
    } catch {
      // The reader's own cleanup failing changes nothing for the caller.
    } finally {
      this.#call.signal.dispose();
    }
  }
}

function ignore(): void {}

/** A chat stream's answer so far: content, usage, finished choices (see {@link AnswerProgress}). */
export class ChatProgress implements AnswerProgress<Chunk> {
  content = '';
  count = 0;
  failed = false;
  readonly whole = false;
  readonly #served: Served<Committed<Chunk>>;
  /** Choices asked for (`n`): the stream is complete only when every one has finished. */
  readonly #expected: number;
  /**
   * Finished choices, by index (a choice counts once however many finish reasons it gets);
   * made when the first one finishes.
   */
  #finishedChoices: boolean[] | undefined;
  #finished = 0;

  constructor(served: Served<Committed<Chunk>>, choices: number) {
    this.#served = served;
    this.#expected = choices;
  }

  /** Also gives every choice a `finish_reason` in place, as the SDK does (see `normalizeChunk`). */
  track(chunk: Chunk): void {
    normalizeChunk(chunk);
    this.count += 1;
    // The last chunk carries usage when the request asked for it
    // (stream_options.include_usage) or the gateway sends it anyway.
    const usage = chunk.usage;
    if (usage !== undefined && usage !== null) {
      this.#served.usage = usageOf(usage) ?? this.#served.usage;
    }
    for (const choice of chunk.choices) {
      const content = choice.delta?.content;
      // String concatenation: V8 joins the pieces only when read.
      if (typeof content === 'string') this.content += content;
      const reason = choice.finish_reason;
      if (reason !== null && reason !== undefined) this.#finishChoice(choice.index, reason);
    }
  }

  #finishChoice(index: number, reason: string): void {
    this.#finishedChoices ??= [];
    if (this.#finishedChoices[index] === true) return;
    this.#finishedChoices[index] = true;
    this.#finished += 1;
    if (reason === 'error') this.failed = true;
  }

  incomplete(): string | undefined {
    if (this.failed) return 'the provider failed mid-answer (finish_reason "error")';
    const expected = this.#expected;
    if (this.#finished >= expected) return undefined;
    return expected === 1
      ? 'the stream ended without a finish reason'
      : `the stream ended with ${this.#finished} of ${expected} choices finished`;
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

/** The error a stream ends with when the caller aborted it through `stream.controller`. */
function abortedByCaller(model: string, reason: unknown): RouterError {
  return new RouterError(`${model}: the call was aborted`, { code: 'ABORTED', cause: reason });
}

/** An error's message, or the value as text. */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
