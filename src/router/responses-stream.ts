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
import { RouterError, StreamInterruptedError } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import { PreCommitStreamError } from './attempt-errors.ts';
import type { Served } from './attempt-log.ts';
import type { Call, SdkRequest } from './call.ts';
import { IdleWatch } from './idle-watch.ts';
import type { ResolvedTarget } from './resolve-plan.ts';
import { sseEvents } from './sse-events.ts';
import { abortedByCaller, abortFirstToken, describe, isCallerAbort } from './stream-attempt.ts';

/** One event of a Responses stream. */
export type ResponseEvent = OpenAI.Responses.ResponseStreamEvent;

/** A Responses stream that reached its commit point. */
export type CommittedResponseStream = {
  /** Events read so far (all up to and including the first content event). */
  readonly buffered: readonly ResponseEvent[];
  /** The rest of the stream (the router's own reader of the body: see `sse-events.ts`). */
  readonly iterator: AsyncIterator<ResponseEvent>;
  /** The stream already ended, with its terminal event, at commit. */
  readonly ended: boolean;
  /** The SDK's request: the response behind the stream. */
  readonly request: SdkRequest<unknown>;
  /** The attempt's idle watch, which the caller's reads go on using (body activity reaches it). */
  readonly idle: IdleWatch;
};

/**
 * Starts one streamed Responses request through the SDK, aborted by `controller`; the router
 * reads the body itself (the SDK's request is asked for its response, never parsed).
 */
export type StartResponseStream = (
  call: Call<CommittedResponseStream>,
  target: ResolvedTarget,
  controller: AbortController,
) => SdkRequest<unknown>;

/**
 * Sends a streaming Responses request to `target` on the call's current controller and reads it
 * until the first event with content; any failure before that point throws, so the attempt can
 * be retried or passed to the next target. The limits are a chat stream's (`openToCommit`).
 */
export async function openResponseToCommit(
  call: Call<CommittedResponseStream>,
  target: ResolvedTarget,
  start: StartResponseStream,
): Promise<CommittedResponseStream> {
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
    const iterator = sseEvents<ResponseEvent>(await request.asResponse(), controller, idle.touch);
    const buffered: ResponseEvent[] = [];
    for (;;) {
      idle.begin();
      const next = await iterator.next();
      idle.end();
      // The reader ends a stream quietly when its request is aborted: a timeout shows as an end.
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
      const ended = isTerminal(event);
      if (ended || isContentEvent(event)) {
        committed = true;
        idle.what = 'event';
        return { buffered, iterator, ended, request, idle };
      }
    }
  } catch (error) {
    const reason = controller.signal.reason;
    if (reason instanceof PreCommitStreamError) throw reason;
    throw error;
  } finally {
    // A committed stream keeps its watch: the caller's reads go on with it.
    if (!committed) idle.stop();
    if (firstTokenTimer !== undefined) clearTimeout(firstTokenTimer);
  }
}

/** Options of {@link continueResponseStream}. */
export type ContinueResponseStreamOptions = {
  /** The call, at its commit point: its controller stops the stream, its signal is released. */
  call: Call<CommittedResponseStream>;
  /** The call's result: its attempt log goes into an interruption. */
  served: Served<CommittedResponseStream>;
  /** Sees every event the caller gets (usage, tracing). */
  onEvent?: (event: ResponseEvent) => void;
};

/** The caller's Responses stream after commit: buffered events, the rest, honest endings. */
export async function* continueResponseStream(
  options: ContinueResponseStreamOptions,
): AsyncGenerator<ResponseEvent> {
  const { call, served, onEvent } = options;
  const committed = served.value;
  const controller = call.signal.controller;
  const progress = { partialContent: '', events: 0, finished: false };
  let completed = false;
  // The record of the serving attempt needs its response: read from the SDK now, on this rare path.
  const interrupted = async (cause: unknown, reason: string) => {
    await served.settle();
    return new StreamInterruptedError({
      model: call.params.model,
      upstream: served.target.upstream.name,
      partialContent: progress.partialContent,
      chunks: progress.events,
      attempts: served.route.attempts,
      cause,
      reason,
    });
  };
  const track = (event: ResponseEvent) => {
    progress.events += 1;
    onEvent?.(event);
    if (event.type === 'response.output_text.delta') progress.partialContent += event.delta;
    if (isTerminal(event)) progress.finished = true;
  };
  try {
    for (const event of committed.buffered) {
      track(event);
      yield event;
    }
    while (!committed.ended && !progress.finished) {
      const next = await readEvent({ call, committed, interrupted });
      if (next.done === true) break;
      track(next.value);
      yield next.value;
    }
    if (!progress.finished) {
      throw await interrupted(undefined, 'the stream ended without a terminal event');
    }
    completed = true;
  } catch (error) {
    throw redactorFor(served.target.setup.secrets).inPlace(error);
  } finally {
    committed.idle.stop();
    if (!completed && !controller.signal.aborted) {
      // The consumer stopped early (break) or the stream failed: stop the request too.
      controller.abort(new RouterError('stream closed', { code: 'ABORTED' }));
    }
    await committed.iterator.return?.().catch(() => undefined);
    call.signal.dispose();
  }
}

/**
 * The next event after commit, under the idle limit. Throws the caller's abort as such, and
 * anything else that stopped the stream (a cut, an idle limit, a `response.failed` event) as
 * an interruption.
 */
async function readEvent(context: {
  call: Call<CommittedResponseStream>;
  committed: CommittedResponseStream;
  interrupted: (cause: unknown, reason: string) => Promise<StreamInterruptedError>;
}): Promise<IteratorResult<ResponseEvent>> {
  const { call, committed, interrupted } = context;
  const controller = call.signal.controller;
  const { idle } = committed;
  let next: IteratorResult<ResponseEvent>;
  try {
    idle.begin();
    next = await committed.iterator.next();
    idle.end();
  } catch (error) {
    idle.end();
    const reason = controller.signal.reason;
    if (reason instanceof RouterError) throw reason; // the caller aborted
    if (isCallerAbort(reason)) throw abortedByCaller(call.params.model, reason);
    throw await interrupted(reason instanceof Error ? reason : error, describe(reason ?? error));
  }
  const reason = controller.signal.reason;
  if (reason instanceof RouterError) throw reason;
  if (isCallerAbort(reason)) throw abortedByCaller(call.params.model, reason);
  if (reason instanceof Error) throw await interrupted(reason, reason.message);
  if (next.done !== true && next.value.type === 'response.failed') {
    throw await interrupted(
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
