/**
 * Honest streaming for the Responses API's typed events: its commit rule and answer progress,
 * on the path of `stream-attempt.ts` that chat streams take. The commit point is the first event that carries part of the answer (a text, refusal
 * or tool-call arguments delta, or the terminal event); a failure before it (HTTP error, an
 * `error` or `response.failed` event, first-token or idle limit, an empty end) is an ordinary
 * attempt failure, so the router can still fall back. After it, a failure, or an end without
 * `response.completed` / `response.incomplete`, is a `StreamInterruptedError` with the partial
 * text. Event names: https://platform.openai.com/docs/api-reference/responses-streaming.
 */
import type OpenAI from 'openai';
import { PreCommitStreamError } from './attempt-errors.ts';
import type { Served } from './attempt-log.ts';
import { usageOf } from './call-observation.ts';
import type { AnswerProgress } from './caller-stream.ts';
import type { CommitRule, Committed } from './stream-attempt.ts';

/** One event of a Responses stream. */
export type ResponseEvent = OpenAI.Responses.ResponseStreamEvent;

/** A Responses stream at its commit point. */
export type CommittedResponseStream = Committed<ResponseEvent>;

/**
 * A Responses stream commits at its first event with content (a text, refusal or tool-call
 * arguments delta), or at its terminal event; an `error` event (the reader throws it),
 * `response.failed` or an end before either is a failure before commit.
 */
export const responseCommit: CommitRule<ResponseEvent> = {
  item: 'event',
  accept(next, buffered) {
    if (next.done === true) {
      throw new PreCommitStreamError('the stream ended before any content', {
        errorClass: 'interrupted_stream',
      });
    }
    const event = next.value;
    if (event.type === 'response.failed') {
      throw new PreCommitStreamError(failureOf(event), { errorClass: 'server' });
    }
    buffered.push(event);
    if (isTerminal(event)) return 'end';
    return isContentEvent(event) ? 'content' : 'more';
  },
};

/**
 * A Responses stream's answer so far (see `AnswerProgress`): the text deltas, and the end. A
 * terminal event makes it whole (its response's usage becomes the call's); `response.failed`
 * after commit fails it (the event is not handed out); an end before either is an interruption.
 */
export class ResponseProgress implements AnswerProgress<ResponseEvent> {
  content = '';
  count = 0;
  failed = false;
  whole = false;
  readonly #served: Served<CommittedResponseStream>;
  #failure: string | undefined;

  constructor(served: Served<CommittedResponseStream>) {
    this.#served = served;
  }

  track(event: ResponseEvent): void {
    if (event.type === 'response.failed') {
      this.failed = true;
      this.#failure = failureOf(event);
      return;
    }
    this.count += 1;
    if (event.type === 'response.output_text.delta') this.content += event.delta;
    if (isTerminal(event)) {
      this.whole = true;
      // The terminal event carries the whole response, usage included.
      const usage = (event as { response?: { usage?: unknown } }).response?.usage;
      this.#served.usage = usageOf(usage) ?? this.#served.usage;
    }
  }

  incomplete(): string | undefined {
    if (this.#failure !== undefined) return this.#failure;
    return this.whole ? undefined : 'the stream ended without a terminal event';
  }
}

/** What a `response.failed` event says went wrong. */
function failureOf(event: OpenAI.Responses.ResponseFailedEvent): string {
  return `the response failed: ${event.response.error?.message ?? 'no reason given'}`;
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
