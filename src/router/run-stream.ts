/**
 * A streamed call (chat completions, or the Responses API), from the caller's side. The first
 * attempt on the first target is opened and read to its commit point (the first content) from
 * here, in one async function, as a plain call's is in `runPlain`; a failure, or a first target
 * that is cooling down, hands what was done to the walker, which carries on as if it had sent
 * that attempt itself. After commit the caller gets its stream from `deliver`: for chat, an
 * SDK `Stream` reading through the router's iterator.
 */
import type OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import type { Served } from './attempt-log.ts';
import type { Call } from './call.ts';
import { streamObserver, traceStream } from './call-observation.ts';
import { ChatProgress, continueStream } from './caller-stream.ts';
import { firstIndex } from './fast-path.ts';
import { runHedged } from './hedge-stream.ts';
import { type PendingFailure, startAttemptTimer, succeed } from './retry-target.ts';
import type { CommittedAttempt, StreamOperation } from './send-request.ts';
import { type CallStart, hasSuccessHooks, reportFirstSuccess, startCall } from './start-call.ts';
import type { CommittedStream } from './stream-attempt.ts';
import { acquire, walkTargets } from './walk-targets.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

/** Options of {@link runStream}. */
export type StreamRunOptions<C extends CommittedAttempt> = CallStart & {
  stream: StreamOperation<C>;
};

/** Makes the caller's stream from a call at its commit point. */
export type DeliverStream<C, S> = (call: Call<C>, served: Served<C>) => S;

/**
 * Runs a streamed call to its commit point and hands the caller its stream. The deadline ends
 * at commit; the caller's signal and close() reach the stream until it ends.
 */
export async function runStream<C extends CommittedAttempt, S>(
  options: StreamRunOptions<C>,
  deliver: DeliverStream<C, S>,
): Promise<S> {
  const operation = options.stream;
  const call = startCall(options, operation.send);
  let served: Served<C>;
  try {
    const index = firstIndex(call);
    const target = call.plan.targets[index];
    let ticket = target === undefined ? undefined : acquire(call, target);
    if (ticket instanceof Promise) ticket = await ticket;
    if (target === undefined || ticket === undefined) {
      served = await walkTargets({ call });
    } else if (!ticket.available) {
      served = await walkTargets({ call, first: { ticket } });
    } else if (call.plan.hedge !== undefined && operation.hedges === true) {
      served = await runHedged({ call, operation, target, index, ticket });
    } else {
      const started = call.signal.startedAt;
      const timer = startAttemptTimer(call, target, call.plan.targets.length);
      let failure: PendingFailure | undefined;
      let committed: C | undefined;
      try {
        committed = await operation.open(call, target);
      } catch (error) {
        failure = { error, started };
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      served =
        committed === undefined
          ? await walkTargets({ call, first: { ticket, failure: failure as PendingFailure } })
          : succeed({
              call,
              target,
              targetIndex: index,
              attempt: 1,
              value: committed,
              // Read from the SDK only when someone asks (withRoute(), a hook, a trace).
              response: committed.request,
              started,
            });
      if (committed !== undefined && hasSuccessHooks(call)) await reportFirstSuccess(call, served);
    }
  } catch (error) {
    call.signal.dispose();
    call.trace?.end({ error });
    throw error;
  }
  call.signal.endDeadline();
  if (call.trace !== undefined) await served.settle();
  options.served = served;
  return deliver(call, served);
}

/**
 * The caller's chat stream: an SDK `Stream` (so `tee()`, `toReadableStream()` and `instanceof`
 * work as with the SDK) over the router's iterator, stopped by the call's controller
 * (`stream.controller.abort()` is the caller's abort).
 */
export function chatStream(
  call: Call<CommittedStream>,
  served: Served<CommittedStream>,
): Stream<Chunk> {
  const choices = (call.params as OpenAI.Chat.ChatCompletionCreateParamsStreaming).n ?? 1;
  const trace = call.trace;
  const observer = trace === undefined ? undefined : streamObserver();
  const progress = new ChatProgress(served, choices);
  const source = continueStream({ call, served, progress, observer });
  const iterate =
    trace === undefined
      ? () => source
      : () => traceStream({ trace, seen: observer, route: served.route, source });
  return new Stream(iterate, call.signal.controller);
}
