/**
 * One request of the serve handler as it is handled, and how its answer is reported: the state
 * a handler's requests share, and `finish`/`fail`, which hand the answer to `onRequest` and the
 * metrics.
 */
import type { AttemptRecord } from '../errors.ts';
import type { RouteInfo, Router } from '../router/types.ts';
import { type RouteHeaders, sentAttempts } from './call-router.ts';
import type { createClientKeys } from './client-keys.ts';
import { errorResponse, type ServeError } from './openai-error.ts';
import type { BodyBudget } from './read-body.ts';
import type { ServeMetrics } from './serve-metrics.ts';

/** One request, as `onRequest` reports it. Holds no header, body or key. */
export type ServeRequestLog = {
  readonly method: string;
  /** The URL path, without the query. */
  readonly path: string;
  readonly status: number;
  /** The `model` asked for, when the body had one (client text: clean it before printing). */
  readonly model?: string;
  /** The upstream that served it. */
  readonly upstream?: string;
  /** Requests sent upstream (retries and fallbacks included). */
  readonly attempts?: number;
  /** Whether the answer is a stream. */
  readonly stream: boolean;
  /** Time until the response headers, in milliseconds. */
  readonly durationMs: number;
  /** The error code, for an error answer. */
  readonly errorCode?: string;
};

/** What every request of one handler shares. */
export type HandlerState = {
  readonly routerOf: () => Router;
  readonly currentKeys: () => ClientKeys;
  readonly maxBodyBytes: number;
  readonly budget: BodyBudget;
  readonly metrics: ServeMetrics | undefined;
  readonly now: () => number;
  readonly onRequest: ((log: ServeRequestLog) => void) | undefined;
};

/** The key checker of the current client keys. */
export type ClientKeys = ReturnType<typeof createClientKeys>;

/** One request as it is handled: what `onRequest` and the metrics will report. */
export type RequestRecord = {
  readonly state: HandlerState;
  readonly request: Request;
  readonly path: string;
  readonly started: number;
  /** Known once the body is read. */
  model: string | undefined;
  stream: boolean;
  /** The router serving the request, once asked. */
  router: Router | undefined;
  /** The route, as the metrics label it (`(other)` for unknown paths). */
  routeLabel: string;
};

/** Options of {@link finish}. */
export type FinishOptions = {
  readonly response: Response;
  /** The route of a call that succeeded. */
  readonly route?: RouteInfo;
  /** The attempts of a call that failed. */
  readonly attempts?: readonly AttemptRecord[] | undefined;
  /** The error code of an error answer. */
  readonly errorCode?: string;
};

/** Reports the request to `onRequest` and the metrics, and returns its response. */
export function finish(record: RequestRecord, options: FinishOptions): Response {
  const { state } = record;
  const { response, route, errorCode } = options;
  const durationMs = state.now() - record.started;
  state.metrics?.record(
    {
      route: record.routeLabel,
      status: response.status,
      model: record.model,
      attempts: route?.attempts ?? options.attempts,
      durationMs,
      // A stream's usage (and cost) is known when it ends: see `onStreamEnd`.
      cost: record.stream ? undefined : route?.cost,
    },
    record.router?.config(),
  );
  if (state.onRequest !== undefined) {
    try {
      state.onRequest({
        method: record.request.method,
        path: record.path,
        status: response.status,
        stream: record.stream,
        durationMs,
        ...(record.model === undefined ? {} : { model: record.model }),
        ...(route === undefined ? {} : { upstream: route.upstream, attempts: sentAttempts(route) }),
        ...(errorCode === undefined ? {} : { errorCode }),
      });
    } catch {
      // A logging hook must not break a response.
    }
  }
  return response;
}

/** Options of {@link fail}. */
export type FailOptions = {
  readonly error: ServeError;
  readonly headers?: RouteHeaders;
  readonly attempts?: readonly AttemptRecord[] | undefined;
};

/** Answers with an OpenAI-shaped error. */
export function fail(record: RequestRecord, options: FailOptions): Response {
  const { error, headers } = options;
  const errorCode = error.body.error.code ?? undefined;
  return finish(record, {
    response: errorResponse(error, headers),
    attempts: options.attempts,
    ...(errorCode === undefined ? {} : { errorCode }),
  });
}
