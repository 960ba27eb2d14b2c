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
import type { Served } from './attempt-log.ts';
import type { Call, PlainOperation } from './call.ts';
import { type StreamObserver, traceStream, usageOf } from './call-observation.ts';
import { continueStream } from './caller-stream.ts';
import type { ClientPool } from './client-pool.ts';
import {
  type CommittedResponseStream,
  isTerminal,
  type ResponseEvent,
  ResponseProgress,
  responseCommit,
} from './responses-stream.ts';
import { toRouterPromise } from './router-promise.ts';
import { runStream } from './run-stream.ts';
import {
  bodyFor,
  plainOperation,
  requestOptionsFor,
  type StreamOperation,
  streamOperation,
} from './send-request.ts';
import { type RouterState, runPlain } from './start-call.ts';
import { openToCommit, type StartStream } from './stream-attempt.ts';
import type { Router, RouterRequestOptions } from './types.ts';

/** The senders of the Responses API: a plain response, and a stream up to its commit point. */
export type ResponsesSenders = {
  readonly plain: PlainOperation<OpenAI.Responses.Response>;
  readonly stream: StreamOperation<CommittedResponseStream>;
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
    stream: streamOperation((call, target) =>
      openToCommit(call, target, startStream, responseCommit),
    ),
  };
  function startStream(...[call, target, controller]: Parameters<StartStream<ResponseEvent>>) {
    return pool.get(target.setup).responses.create(
      // The caller's params say `stream: true`: the body is a stream's as it is.
      bodyFor(target, call.params) as unknown as OpenAI.Responses.ResponseCreateParamsStreaming,
      requestOptionsFor(call, target, controller),
    );
  }
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
        const run = { ...start, stream: senders.stream };
        return toRouterPromise(runStream(run, responseStream), run);
      }
      const run = { ...start, plain: senders.plain };
      return toRouterPromise(runPlain(run), run);
    }) as Router['responses']['create'],
  };
}

/**
 * The caller's Responses stream at its commit point: an SDK `Stream` over the router's events,
 * stopped by the call's controller.
 */
function responseStream(
  call: Call<CommittedResponseStream>,
  served: Served<CommittedResponseStream>,
): Stream<ResponseEvent> {
  const { trace } = call;
  const seen = trace === undefined ? undefined : responseStreamObserver();
  const progress = new ResponseProgress(served);
  const source = continueStream({ call, served, progress, observer: seen });
  return new Stream<ResponseEvent>(
    // A traced call's response was read at commit (see runStream): its route is at hand.
    trace === undefined
      ? () => source
      : () => traceStream({ trace, seen, route: served.route, source }),
    call.signal.controller,
  );
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
