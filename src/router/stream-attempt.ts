/**
 * Honest streaming. An attempt reads its stream until the first content chunk (the commit
 * point); a failure before it (HTTP error, error event, first-token or idle timeout, an empty
 * end) is an ordinary attempt failure, so the router can still fall back. After it, the stream
 * belongs to the caller: a failure, or an end without a finish reason, raises a typed
 * `StreamInterruptedError` carrying the partial output. Never a clean end, never two answers.
 */
import type OpenAI from 'openai';
import { RouterError, StreamInterruptedError } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import { PreCommitStreamError } from './attempt-errors.ts';
import type { Served } from './attempt-log.ts';
import type { Call, SdkRequest } from './call.ts';
import { usageOf } from './call-observation.ts';
import { IdleWatch } from './idle-watch.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import { sseEvents } from './sse-events.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** A stream that reached its commit point. */
export type CommittedStream = {
  /** Chunks read so far (all up to and including the first content chunk). */
  readonly buffered: readonly Chunk[];
  /** The rest of the stream (the router's own reader of the body: see `sse-events.ts`). */
  readonly iterator: AsyncIterator<Chunk>;
  /** True when the stream already ended (complete) before or at commit. */
  readonly ended: boolean;
  /** The SDK's request: the response behind the stream. */
  readonly request: SdkRequest<unknown>;
  /** The attempt's idle watch, which the caller's reads go on using (body activity reaches it). */
  readonly idle: IdleWatch;
};

/**
 * Starts one streamed request through the SDK, aborted by `controller`; the router reads the
 * body itself (the SDK's request is asked for its response, never parsed).
 */
export type StartStream = (
  call: Call<CommittedStream>,
  target: ResolvedTarget,
  controller: AbortController,
) => SdkRequest<unknown>;

/**
 * Sends a streaming request to `target` on the call's current controller and reads it until the
 * first chunk with content. Any failure before that point throws, so the attempt can be retried
 * or passed to the next target. The first-token limit covers the wait for headers too (a slow
 * first byte is a slow first token), and so does the idle limit before the first chunk.
 */
export async function openToCommit(
  call: Call<CommittedStream>,
  target: ResolvedTarget,
  start: StartStream,
): Promise<CommittedStream> {
  const controller = call.signal.controller;
  const { firstTokenMs, idleMs } = call.plan.timeouts;
  const firstTokenTimer =
    firstTokenMs === undefined
      ? undefined
      : setTimeout(abortFirstToken, firstTokenMs, controller, firstTokenMs);
  const idle = new IdleWatch(controller, idleMs, 'data');
  let committed = false;
  try {
    idle.begin();
    const request = start(call, target, controller);
    // The response, not the SDK's `Stream`: the router reads the body itself, and every piece
    // it reads (SSE comment lines included) keeps the idle watch alive.
    const response = await request.asResponse();
    const iterator = sseEvents<Chunk>(response, controller, idle.touch);
    const buffered: Chunk[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The reader ends a stream quietly when its request is aborted: a timeout shows as an end.
      if (controller.signal.reason instanceof PreCommitStreamError) throw controller.signal.reason;
      const ended = next.done === true;
      if (!ended) buffered.push(normalizeChunk(next.value));
      if (ended || isContentChunk(next.value)) {
        checkCommit(buffered, ended);
        committed = true;
        idle.what = 'chunk';
        return { buffered, iterator, ended, request, idle };
      }
    }
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof PreCommitStreamError) throw reason;
    // Otherwise an HTTP error, or a failure inside the stream (an error event, a malformed
    // chunk, a cut) before any content: the caller classifies it.
    throw error;
  } finally {
    // A committed stream keeps its watch: the caller's reads go on with it.
    if (!committed) idle.stop();
    if (firstTokenTimer !== undefined) clearTimeout(firstTokenTimer);
  }
}

/** The first-token limit passed: aborts the attempt (a timer's callback, no closure per attempt). */
export function abortFirstToken(controller: AbortController, firstTokenMs: number): void {
  controller.abort(
    new PreCommitStreamError(`no content within ${firstTokenMs} ms`, { errorClass: 'timeout' }),
  );
}

/**
 * Throws when what was read is not a commit point: an end without a finish reason (nothing was
 * answered), or a first content chunk whose choice failed.
 */
function checkCommit(buffered: readonly Chunk[], ended: boolean): void {
  if (ended) {
    if (buffered.some(hasFinishReason)) return;
    throw new PreCommitStreamError('the stream ended before any content', {
      errorClass: 'interrupted_stream',
    });
  }
  if (hasFailedChoice(buffered[buffered.length - 1] as Chunk)) {
    throw new PreCommitStreamError(
      'the provider failed before any content (finish_reason "error")',
      { errorClass: 'server' },
    );
  }
}

/** Options of {@link continueStream}. */
export type ContinueStreamOptions = {
  /** The call, at its commit point: its controller stops the stream, its signal is released. */
  call: Call<CommittedStream>;
  /** The call's result: its usage is updated from the chunks; its route is read on failure. */
  served: Served<CommittedStream>;
  /**
   * Choices asked for (`n`): the stream is complete only when every one has finished.
   * @default 1
   */
  choices?: number;
  /** Sees every chunk the caller gets (tracing). */
  observer?: { observe(chunk: Chunk): void } | undefined;
};

/**
 * The caller's stream after commit: the buffered chunks, then the rest, with honest endings.
 *
 * A hand-written iterator rather than an async generator: a generator layer costs a promise,
 * a result object and a queued request per chunk (about half a kilobyte of garbage each); this
 * one passes the reader's result object through and allocates one promise per chunk. It
 * behaves as the generator did: the attempt's idle watch goes on with the caller's reads, a
 * failure or an incomplete end throws once (redacted) and then the iterator is done, and every
 * way out (end, failure, `return()` on a break) stops the watch, aborts a request still open,
 * closes the body reader and releases the call, in that order, before the last result settles.
 */
export function continueStream(options: ContinueStreamOptions): AsyncIterableIterator<Chunk> {
  return new CallerStream(options);
}

const doneResult: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class CallerStream implements AsyncIterableIterator<Chunk> {
  readonly #call: Call<CommittedStream>;
  readonly #served: Served<CommittedStream>;
  readonly #committed: CommittedStream;
  /** The call's controller at commit (no attempt follows, so it is the stream's for good). */
  readonly #controller: AbortController;
  readonly #observer: ContinueStreamOptions['observer'];
  readonly #expected: number;
  /** The content so far (string concatenation: V8 joins the pieces only when read). */
  #content = '';
  #chunks = 0;
  /**
   * Finished choices, by index (a choice counts once however many finish reasons it gets);
   * made when the first one finishes.
   */
  #finishedChoices: boolean[] | undefined;
  #finished = 0;
  #failed = false;
  #completed = false;
  /** Buffered chunks handed out so far. */
  #position = 0;
  #closed = false;
  /** A read of the body is in progress (`#last` settles when it is done). */
  #busy = false;
  #last: Promise<IteratorResult<Chunk>> | undefined;

  constructor(options: ContinueStreamOptions) {
    this.#call = options.call;
    this.#served = options.served;
    this.#committed = options.served.value;
    this.#controller = options.call.signal.controller;
    this.#observer = options.observer;
    this.#expected = options.choices ?? 1;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Chunk>> {
    // A call made while another is in progress waits for it, as with a generator.
    if (this.#busy) return this.#after(() => this.next());
    if (this.#closed) return Promise.resolve(doneResult);
    const committed = this.#committed;
    if (this.#position < committed.buffered.length) {
      const chunk = committed.buffered[this.#position++] as Chunk;
      this.#track(chunk);
      return Promise.resolve({ done: false, value: chunk });
    }
    if (committed.ended) return this.#finish();
    committed.idle.begin();
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
    this.#committed.idle.end();
    const reason = this.#controller.signal.reason;
    if (reason instanceof RouterError) return this.#fail(reason); // the caller aborted
    if (isCallerAbort(reason)) return this.#fail(abortedByCaller(this.#call.params.model, reason));
    if (reason instanceof Error) return this.#interrupt(reason, reason.message);
    if (next.done === true) return this.#finish();
    normalizeChunk(next.value);
    this.#track(next.value);
    if (this.#failed) return this.#finish();
    // The reader's own result object, passed through.
    return next;
  };

  readonly #onError = (error: unknown): Promise<IteratorResult<Chunk>> => {
    this.#busy = false;
    const reason = this.#controller.signal.reason;
    if (reason instanceof RouterError) return this.#fail(reason); // the caller aborted
    if (isCallerAbort(reason)) return this.#fail(abortedByCaller(this.#call.params.model, reason));
    return this.#interrupt(reason instanceof Error ? reason : error, describe(reason ?? error));
  };

  #track(chunk: Chunk): void {
    this.#chunks += 1;
    // The last chunk carries usage when the request asked for it
    // (stream_options.include_usage) or the gateway sends it anyway.
    const usage = chunk.usage;
    if (usage !== undefined && usage !== null) {
      this.#served.usage = usageOf(usage) ?? this.#served.usage;
    }
    this.#observer?.observe(chunk);
    for (const choice of chunk.choices) {
      const content = choice.delta?.content;
      if (typeof content === 'string') this.#content += content;
      const reason = choice.finish_reason;
      if (reason !== null && reason !== undefined) this.#finishChoice(choice.index, reason);
    }
  }

  #finishChoice(index: number, reason: string): void {
    this.#finishedChoices ??= [];
    if (this.#finishedChoices[index] === true) return;
    this.#finishedChoices[index] = true;
    this.#finished += 1;
    if (reason === 'error') this.#failed = true;
  }

  /** The end of the body (or a choice that failed): complete, or an interruption. */
  #finish(): Promise<IteratorResult<Chunk>> {
    if (this.#failed) {
      return this.#interrupt(undefined, 'the provider failed mid-answer (finish_reason "error")');
    }
    const expected = this.#expected;
    if (this.#finished < expected) {
      return this.#interrupt(
        undefined,
        expected === 1
          ? 'the stream ended without a finish reason'
          : `the stream ended with ${this.#finished} of ${expected} choices finished`,
      );
    }
    // Complete: the reader is exhausted (this is only reached at its end), so there is
    // nothing of it to close; the watch stops and the call is released, with no async step.
    this.#completed = true;
    this.#closed = true;
    this.#committed.idle.stop();
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
          partialContent: this.#content,
          chunks: this.#chunks,
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

/**
 * An abort the router did not cause: the caller called `stream.controller.abort()`. The
 * router's own reasons are `RouterError`s (caller signal, deadline, close) and
 * `PreCommitStreamError`s (idle limit).
 */
export function isCallerAbort(reason: unknown): boolean {
  return (
    reason !== undefined &&
    !(reason instanceof RouterError) &&
    !(reason instanceof PreCommitStreamError)
  );
}

/** The error a stream ends with when the caller aborted it through `stream.controller`. */
export function abortedByCaller(model: string, reason: unknown): RouterError {
  return new RouterError(`${model}: the call was aborted`, { code: 'ABORTED', cause: reason });
}

/** An error's message, or the value as text. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Every choice of a chunk with a `finish_reason`, null when the gateway sent none (as the SDK does). */
function normalizeChunk(chunk: Chunk): Chunk {
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
