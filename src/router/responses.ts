/**
 * `router.responses.create`: the OpenAI Responses API on the same call path as chat (the
 * success path, then the walker on a failure), so it gets the same aliases, retries, fallback,
 * deadline, attempt log, hooks, tracing, `withRoute()` and `withResponse()`. Every target must
 * serve the API (`responses-support.ts`); a stream commits at its first content event
 * (`responses-stream.ts`).
 */
import type OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import { RouterError } from '../errors.ts';
import { redactorFor } from '../internal/redact.ts';
import type { PlainOperation, Send } from './call.ts';
import { type StreamObserver, traceStream, usageOf } from './call-observation.ts';
import type { ClientPool } from './client-pool.ts';
import {
  type CommittedResponseStream,
  continueResponseStream,
  isTerminal,
  openResponseToCommit,
  type ResponseEvent,
} from './responses-stream.ts';
import { toRouterPromise } from './router-promise.ts';
import { bodyFor, committedAsSent, plainOperation, requestOptionsFor } from './send-request.ts';
import { type RouterState, type RunOptions, runPlain, runToCommit } from './start-call.ts';
import type { Router, RouterRequestOptions } from './types.ts';

/** The senders of the Responses API: a plain response, and a stream up to its commit point. */
export type ResponsesSenders = {
  readonly plain: PlainOperation<OpenAI.Responses.Response>;
  readonly stream: Send<CommittedResponseStream>;
};

/** Creates the Responses API senders over a client pool. */
export function createResponsesSenders(pool: ClientPool): ResponsesSenders {
  return {
    // A 200 that is not a response (HTML, an error envelope) fails the attempt.
    plain: plainOperation({
      field: 'output',
      start: (call, target, controller) =>
        pool
          .get(target.setup)
          .responses.create(
            bodyFor(
              target,
              call.params,
            ) as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming,
            requestOptionsFor(call, target, controller),
          ),
    }),
    stream: (call, target, controller) => {
      const client = pool.get(target.setup);
      const body = {
        ...bodyFor(target, call.params),
        stream: true,
      } as unknown as OpenAI.Responses.ResponseCreateParamsStreaming;
      return openResponseToCommit({
        open: (activity) =>
          client.responses
            .create(body, requestOptionsFor(call, target, controller, activity))
            .withResponse(),
        controller,
        firstTokenMs: call.plan.timeouts.firstTokenMs,
        idleMs: call.plan.timeouts.idleMs,
      }).then(committedAsSent);
    },
  };
}

/** The router's `responses` surface. */
export function createResponsesApi(options: {
  state: RouterState;
  pool: ClientPool;
}): Router['responses'] {
  const { state } = options;
  const senders = createResponsesSenders(options.pool);
  return {
    create: ((
      params: OpenAI.Responses.ResponseCreateParams,
      requestOptions?: RouterRequestOptions,
    ) => {
      if (typeof params.model !== 'string') {
        const error = new RouterError(
          'router.responses.create needs a model: an alias from the config, or <gateway>:<model>',
          { code: 'INVALID_REQUEST' },
        );
        return toRouterPromise(Promise.reject(error), { served: undefined });
      }
      // The options object is also where the call leaves its result for withRoute().
      const start = {
        state,
        params: params as typeof params & { model: string },
        requestOptions,
        operation: 'responses' as const,
        served: undefined,
      };
      if (params.stream === true) {
        const run = { ...start, send: senders.stream };
        return toRouterPromise(runResponseStream(run), run);
      }
      const run = { ...start, plain: senders.plain };
      return toRouterPromise(runPlain(run), run);
    }) as Router['responses']['create'],
  };
}

/** A streamed Responses call: attempts up to the first content event; then the caller's. */
async function runResponseStream(
  options: RunOptions<CommittedResponseStream>,
): Promise<Stream<ResponseEvent>> {
  const { call, served } = await runToCommit(options);
  const controller = call.signal.controller;
  const seen = call.trace === undefined ? undefined : responseStreamObserver();
  const stream = new Stream<ResponseEvent>(
    () =>
      traceStream({
        trace: call.trace,
        seen,
        route: served.route,
        source: continueResponseStream({
          committed: served.value,
          controller,
          idleMs: call.plan.timeouts.idleMs,
          model: options.params.model,
          upstream: served.target.upstream.name,
          attempts: () => served.route.attempts,
          release: () => call.signal.dispose(),
          redactor: redactorFor(served.target.setup.secrets),
          onEvent: (event) => {
            // The terminal event carries the whole response, usage included.
            if (isTerminal(event)) {
              served.usage =
                usageOf((event as { response?: { usage?: unknown } }).response?.usage) ??
                served.usage;
            }
            seen?.observe(event);
          },
        }),
      }),
    controller,
  );
  options.served = served;
  return stream;
}

/** What a traced Responses stream tells its trace: the terminal response and the text. */
function responseStreamObserver(): StreamObserver<ResponseEvent> {
  let output = '';
  let final: OpenAI.Responses.Response | undefined;
  return {
    observe(event) {
      if (event.type === 'response.output_text.delta') output += event.delta;
      if (isTerminal(event)) final = (event as OpenAI.Responses.ResponseCompletedEvent).response;
    },
    result() {
      const usage = usageOf(final?.usage);
      return {
        ...(final === undefined ? {} : { responseModel: final.model, responseId: final.id }),
        ...(usage === undefined ? {} : { usage }),
        ...(final?.status === undefined ? {} : { finishReasons: [final.status] }),
        output,
      };
    },
  };
}
