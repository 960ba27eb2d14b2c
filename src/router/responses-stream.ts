/**
 * Honest streaming for the Responses API's typed events, as `stream-attempt.ts` does for chat
 * chunks. The commit point is the first event that carries part of the answer (a text, refusal
 * or tool-call arguments delta, or the terminal event); a failure before it (HTTP error, an
 * `error` or `response.failed` event, first-token or idle limit, an empty end) is an ordinary
 * attempt failure, so the router can still fall back. After it, a failure, or an end without
 * `response.completed` / `response.incomplete`, is a `StreamInterruptedError` with the partial
 * text. Event names: https://platform.openai.com/docs/api-reference/responses-streaming.
 */
import type OpenAI from 'openai';
import type { Stream } from 'openai/core/streaming';
import { type AttemptRecord, RouterError, StreamInterruptedError } from '../errors.ts';
import type { Redactor } from '../internal/redact.ts';
import { PreCommitStreamError } from './attempt-errors.ts';
import { type ActivityRelay, type IdleWatch, watchIdle } from './idle-watch.ts';

/** One event of a Responses stream. */
export type ResponseEvent = OpenAI.Responses.ResponseStreamEvent;

/** A Responses stream that reached its commit point. */
export type CommittedResponseStream = {
  /** Events read so far (all up to and including the first content event). */
  readonly buffered: readonly ResponseEvent[];
  /** The rest of the SDK stream. */
  readonly iterator: AsyncIterator<ResponseEvent>;
  /** The stream already ended, with its terminal event, at commit. */
  readonly ended: boolean;
  /** Body activity of this attempt; the caller's stream points it at its own watchdog. */
  readonly activity: ActivityRelay;
  readonly response: Response;
};

/** Options of {@link openResponseToCommit}. */
export type OpenResponseToCommitOptions = {
  /** Sends the request; `activity` is to be called for every piece of the body. */
  open: (activity: () => void) => Promise<{ data: Stream<ResponseEvent>; response: Response }>;
  /** Aborts the attempt (and the SDK's request) with a reason. */
  controller: AbortController;
  /** Longest wait for the first content event, from sending the request, ms. */
  firstTokenMs: number | undefined;
  /** Longest gap between events (before the first one: after the headers), ms. */
  idleMs: number;
};

/** Sends a streaming Responses request and reads it until the first event with content. */
export async function openResponseToCommit(
  options: OpenResponseToCommitOptions,
): Promise<CommittedResponseStream> {
  const { controller } = options;
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
  const idle = watchIdle({ controller, idleMs: options.idleMs, what: 'data' });
  const activity: ActivityRelay = { onActivity: idle.touch };
  try {
    idle.begin();
    const { data, response } = await options.open(() => activity.onActivity());
    const iterator = data[Symbol.asyncIterator]();
    const buffered: ResponseEvent[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The SDK ends a stream quietly when its request is aborted: a timeout shows as an end.
      if (controller.signal.reason instanceof PreCommitStreamError) throw controller.signal.reason;
      if (next.done === true) {
        throw new PreCommitStreamError('the stream ended before any content', {
          errorClass: 'interrupted_stream',
        });
      }
      const event = next.value;
      if (event.type === 'response.failed') {
        throw new PreCommitStreamError(
          `the response failed: ${event.response.error?.message ?? 'no reason given'}`,
          { errorClass: 'server' },
        );
      }
      buffered.push(event);
      if (isTerminal(event)) return { buffered, iterator, ended: true, activity, response };
      if (isContentEvent(event)) return { buffered, iterator, ended: false, activity, response };
    }
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof PreCommitStreamError) throw reason;
    throw error;
  } finally {
    idle.stop();
    if (firstTokenTimer !== undefined) clearTimeout(firstTokenTimer);
  }
}

/** Options of {@link continueResponseStream}. */
export type ContinueResponseStreamOptions = {
  committed: CommittedResponseStream;
  controller: AbortController;
  idleMs: number;
  model: string;
  upstream: string;
  /** The call's attempt log (built on demand: only an interrupted stream needs it). */
  attempts: () => readonly AttemptRecord[];
  /** Blanks the serving upstream's secrets out of whatever the stream throws. */
  redactor: Redactor;
  /** Frees timers and listeners when the stream is done, however it ends. */
  release: () => void;
  /** Sees every event the caller gets (usage, tracing). */
  onEvent?: (event: ResponseEvent) => void;
};

/** The caller's Responses stream after commit: buffered events, the rest, honest endings. */
export async function* continueResponseStream(
  options: ContinueResponseStreamOptions,
): AsyncGenerator<ResponseEvent> {
  const { committed, controller, onEvent } = options;
  const progress = { partialContent: '', events: 0, finished: false };
  let completed = false;
  const interrupted = (cause: unknown, reason: string) =>
    new StreamInterruptedError({
      model: options.model,
      upstream: options.upstream,
      partialContent: progress.partialContent,
      chunks: progress.events,
      attempts: options.attempts(),
      cause,
      reason,
    });
  const track = (event: ResponseEvent) => {
    progress.events += 1;
    onEvent?.(event);
    if (event.type === 'response.output_text.delta') progress.partialContent += event.delta;
    if (isTerminal(event)) progress.finished = true;
  };
  const idle = watchIdle({ controller, idleMs: options.idleMs, what: 'event' });
  committed.activity.onActivity = idle.touch;
  try {
    for (const event of committed.buffered) {
      track(event);
      yield event;
    }
    while (!committed.ended && !progress.finished) {
      const next = await readEvent({ options, idle, interrupted });
      if (next.done === true) break;
      track(next.value);
      yield next.value;
    }
    if (!progress.finished)
      throw interrupted(undefined, 'the stream ended without a terminal event');
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

/**
 * The next event after commit, under the idle limit. Throws the caller's abort as such, and
 * anything else that stopped the stream (a cut, an idle limit, a `response.failed` event) as
 * an interruption.
 */
async function readEvent(context: {
  options: ContinueResponseStreamOptions;
  idle: IdleWatch;
  interrupted: (cause: unknown, reason: string) => StreamInterruptedError;
}): Promise<IteratorResult<ResponseEvent>> {
  const { options, idle, interrupted } = context;
  const { controller } = options;
  let next: IteratorResult<ResponseEvent>;
  try {
    idle.begin();
    next = await options.committed.iterator.next();
    idle.end();
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof RouterError) throw reason; // the caller aborted
    if (isCallerAbort(reason)) throw abortedByCaller(options.model, reason);
    throw interrupted(reason instanceof Error ? reason : error, describe(reason ?? error));
  }
  const reason = controller.signal.reason;
  if (reason instanceof RouterError) throw reason;
  if (isCallerAbort(reason)) throw abortedByCaller(options.model, reason);
  if (reason instanceof Error) throw interrupted(reason, reason.message);
  if (next.done !== true && next.value.type === 'response.failed') {
    throw interrupted(
      undefined,
      `the response failed: ${next.value.response.error?.message ?? 'no reason given'}`,
    );
  }
  return next;
}

/** `response.completed` or `response.incomplete`: the answer is whole (or cut by a limit). */
export function isTerminal(event: ResponseEvent): boolean {
  return event.type === 'response.completed' || event.type === 'response.incomplete';
}

/** An event that carries part of the answer. */
function isContentEvent(event: ResponseEvent): boolean {
  switch (event.type) {
    case 'response.output_text.delta':
    case 'response.refusal.delta':
    case 'response.function_call_arguments.delta':
      return event.delta !== '';
    default:
      return false;
  }
}

/** An abort the router did not cause: the caller called `stream.controller.abort()`. */
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
