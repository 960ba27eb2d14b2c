/**
 * `createRouter(table)`: a drop-in for the parts of the `openai` client apps use. A call resolves
 * its model to a plan, then walks it with retries and fallback. No I/O at creation.
 */
import type OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import type { ModelKind, RouteTable } from '../config/route-table.ts';
import { RouterError } from '../errors.ts';
import { type Redactor, redactorFor } from '../internal/redact.ts';
import {
  describeAnswer,
  streamObserver,
  tracedHooks,
  traceStream,
  usageOf,
  withContextMetadata,
} from './call-observation.ts';
import { checkAnswer } from './classify-error.ts';
import { createClientPool } from './client-pool.ts';
import { type AttemptContext, type AttemptResult, executePlan } from './execute-plan.ts';
import { createHealthMemory, type HealthStore } from './health-memory.ts';
import { createRedisHealth } from './health-redis.ts';
import { activityKey, observeActivity } from './observe-activity.ts';
import { createPlanResolver, toPublicPlan } from './resolve-plan.ts';
import { type CommittedStream, continueStream, openToCommit } from './stream-attempt.ts';
import type {
  CallContext,
  RouteInfo,
  Router,
  RouterOptions,
  RouterPromise,
  RouterRequestOptions,
  TokenUsage,
} from './types.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;
type RequestHeaders = RouterRequestOptions['headers'];

const routes = new WeakMap<object, RouteInfo>();

/**
 * The route that served a result returned by a router (a completion, a stream or an
 * embeddings response), or undefined for any other object.
 */
export function routeOf(result: object): RouteInfo | undefined {
  return routes.get(result);
}

/** Creates a router over a compiled config. Creates no client and opens no connection. */
export function createRouter(table: RouteTable, options: RouterOptions = {}): Router {
  const env =
    options.env ??
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ??
    {};
  const pool = createClientPool({
    env,
    // Streams see body activity (SSE comments included) below the SDK; other requests pass through.
    fetch: observeActivity(options.fetch),
  });
  // The current config. A call resolves its plan from the snapshot it starts with, so a reload
  // never changes a call in flight.
  let current = { table, resolver: createPlanResolver(table) };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const { health, ownHealth } = createHealth({ option: options.health, table });
  // Calls in flight, so close() can stop them.
  const active = new Set<(reason: RouterError) => void>();
  let closed = false;

  const run = <T>(
    model: string,
    requestOptions: RouterRequestOptions | undefined,
    perform: (context: AttemptContext) => Promise<AttemptResult<T>>,
    call: { operation: 'chat' | 'embeddings'; params: object; stream: boolean },
  ) => {
    const stream = call.stream;
    if (closed)
      return Promise.reject(new RouterError('the router is closed', { code: 'ROUTER_CLOSED' }));
    let plan: ReturnType<typeof current.resolver.resolve>;
    try {
      plan = current.resolver.resolve(model);
    } catch (error) {
      return Promise.reject(error);
    }
    if (plan.serves !== undefined && plan.serves !== call.operation) {
      const callName = (kind: ModelKind) =>
        kind === 'embeddings' ? 'router.embeddings.create' : 'router.chat.completions.create';
      return Promise.reject(
        new RouterError(
          `alias "${model}" serves ${plan.serves}, so ${callName(call.operation)} cannot use it: call ${callName(plan.serves)}, or name an alias of ${call.operation} models`,
          { code: 'INVALID_REQUEST' },
        ),
      );
    }
    const callContext = requestOptions?.context;
    // Tracing costs nothing unless a tracer is given and records this call.
    const trace = options.tracing?.startCall({
      operation: call.operation,
      model,
      stream,
      params: call.params as Record<string, unknown>,
      ...(callContext === undefined ? {} : { context: callContext }),
    });
    return executePlan({
      plan,
      perform,
      ownAttemptSignal: stream,
      ...(callContext === undefined ? {} : { context: callContext }),
      signals: [requestOptions?.signal ?? undefined, options.signal],
      register: (stop) => {
        active.add(stop);
        return () => active.delete(stop);
      },
      ...(requestOptions?.timeout === undefined ? {} : { totalMs: requestOptions.timeout }),
      hooks: trace === undefined ? options : tracedHooks({ hooks: options, trace, plan }),
      health,
      now,
      random,
    }).then(
      (result) => ({ ...result, plan, trace }),
      (error: unknown) => {
        trace?.end({ error });
        throw error;
      },
    );
  };

  // Only what changes per request: `maxRetries: 0` and the backstop timeout are set once on
  // each pooled client.
  const requestOptionsFor = (
    context: AttemptContext,
    callerHeaders: RequestHeaders,
    callContext?: CallContext,
  ) => {
    const headers = mergeHeaders(
      callContext === undefined || context.target.gateway.type !== 'cloudflare'
        ? context.target.headers
        : withContextMetadata(context.target.headers, callContext),
      callerHeaders,
    );
    return headers === undefined ? { signal: context.signal } : { signal: context.signal, headers };
  };

  /** The request body for a target: its fields under the caller's, and its own model string. */
  const bodyFor = <P extends { model: string }>(context: AttemptContext, params: P): P => ({
    ...context.target.body,
    ...params,
    model: context.target.upstream.model,
  });

  /** A plain (non-streaming) call: one request per attempt, its parsed body as the result. */
  const callPlain = <T extends object>(
    model: string,
    requestOptions: RouterRequestOptions | undefined,
    call: { operation: 'chat' | 'embeddings'; params: object; stream: false },
    field: 'choices' | 'data',
    send: (
      client: OpenAI,
      context: AttemptContext,
      options: ReturnType<typeof requestOptionsFor>,
    ) => Promise<{ data: T; response: Response }>,
  ) =>
    toRouterPromise(
      run<T>(
        model,
        requestOptions,
        async (context) => {
          const client = pool.get(context.target.setup);
          const { data, response } = await send(
            client,
            context,
            requestOptionsFor(context, requestOptions?.headers, requestOptions?.context),
          );
          // A 200 is an answer only when its body is one (not an HTML page, an error envelope...).
          const unusable = checkAnswer({ value: data, field, response });
          if (unusable !== undefined) throw unusable;
          const usage = usageOf((data as { usage?: unknown }).usage);
          return usage === undefined ? { value: data, response } : { value: data, response, usage };
        },
        call,
      ).then((result) => {
        routes.set(result.value, result.route);
        result.trace?.end({ route: result.route, ...describeAnswer(result.value) });
        return { data: result.value, response: result.response, route: result.route };
      }),
    );

  const createChat = (
    params: OpenAI.Chat.ChatCompletionCreateParams,
    requestOptions?: RouterRequestOptions,
  ) => {
    if (params.stream === true) {
      const promise = run<CommittedStream>(
        params.model,
        requestOptions,
        async (context) => {
          const client = pool.get(context.target.setup);
          const body = { ...bodyFor(context, params), stream: true as const };
          const committed = await openToCommit({
            open: (activity) =>
              client.chat.completions
                .create(body, {
                  ...requestOptionsFor(context, requestOptions?.headers, requestOptions?.context),
                  fetchOptions: { [activityKey]: activity } as Record<string, never>,
                })
                .withResponse(),
            controller: context.attemptController,
            firstTokenMs: context.plan.timeouts.firstTokenMs,
            idleMs: context.plan.timeouts.idleMs,
          });
          return { value: committed, response: committed.response, keepAlive: true };
        },
        { operation: 'chat', params, stream: true },
      ).then((result) => {
        const route = result.route as { usage?: TokenUsage };
        const seen = result.trace === undefined ? undefined : streamObserver();
        const serving = result.plan.targets.find(
          (target) => target.upstream.name === result.route.upstream,
        );
        const stream = new Stream<Chunk>(
          () =>
            traceStream({
              trace: result.trace,
              seen,
              route: result.route,
              source: redactErrors(
                continueStream({
                  committed: result.value,
                  controller: result.controller,
                  idleMs: result.plan.timeouts.idleMs,
                  model: params.model,
                  upstream: result.route.upstream,
                  attempts: result.route.attempts,
                  release: result.release,
                  choices: params.n ?? 1,
                  onChunk: (chunk) => {
                    // The last chunk carries usage when the request asked for it
                    // (stream_options.include_usage) or the gateway sends it anyway.
                    if (chunk.usage !== undefined && chunk.usage !== null) {
                      const usage = usageOf(chunk.usage);
                      if (usage !== undefined) route.usage = usage;
                    }
                    seen?.observe(chunk);
                  },
                }),
                redactorFor(serving?.setup.secrets ?? []),
              ),
            }),
          result.controller,
        );
        routes.set(stream, result.route);
        return { data: stream, response: result.response, route: result.route };
      });
      return toRouterPromise(promise);
    }
    return callPlain(
      params.model,
      requestOptions,
      { operation: 'chat', params, stream: false },
      'choices',
      (client, context, options) =>
        client.chat.completions
          .create(
            bodyFor(context, params) as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
            options,
          )
          .withResponse(),
    );
  };

  const router: Router = {
    chat: {
      completions: {
        create: createChat as Router['chat']['completions']['create'],
      },
    },
    embeddings: {
      create: (params, requestOptions) =>
        callPlain(
          params.model,
          requestOptions,
          { operation: 'embeddings', params, stream: false },
          'data',
          (client, context, options) =>
            client.embeddings.create(bodyFor(context, params), options).withResponse(),
        ),
    },
    resolve: (model) => toPublicPlan(current.resolver.resolve(model)),
    aliases: () => Object.keys(current.table.aliases),
    reload: (next) => {
      if (closed) throw new RouterError('the router is closed', { code: 'ROUTER_CLOSED' });
      const previous = current.table;
      current = { table: next, resolver: createPlanResolver(next) };
      // Health carries over for upstreams that did not change; a changed one starts afresh.
      for (const name of Object.keys(previous.upstreams)) {
        if (!sameUpstream({ before: previous, after: next, name })) health?.forget(name);
      }
      pool.retainGateways(new Set(Object.keys(next.gateways)));
    },
    config: () => current.table,
    close: async () => {
      closed = true;
      const reason = new RouterError('the router was closed', { code: 'ROUTER_CLOSED' });
      for (const stop of [...active]) stop(reason);
      active.clear();
      pool.clear();
      if (ownHealth) await health?.close?.();
    },
  };
  return Object.freeze(router);
}

/** Whether an upstream, and the gateway it is on, are the same in two tables. */
function sameUpstream(options: { before: RouteTable; after: RouteTable; name: string }): boolean {
  const before = options.before.upstreams[options.name];
  const after = options.after.upstreams[options.name];
  if (before === undefined || after === undefined) return false;
  if (before.gateway !== after.gateway || before.model !== after.model) return false;
  const gatewayBefore = options.before.gateways[before.gateway];
  const gatewayAfter = options.after.gateways[after.gateway];
  return (
    gatewayBefore?.type === gatewayAfter?.type && gatewayBefore?.baseURL === gatewayAfter?.baseURL
  );
}

/** The router's health store, and whether the router made it (and so closes it). */
function createHealth(options: { option: RouterOptions['health']; table: RouteTable }): {
  health: HealthStore | undefined;
  ownHealth: boolean;
} {
  const { option, table } = options;
  if (option === false) return { health: undefined, ownHealth: false };
  if (option !== undefined && 'acquire' in option) return { health: option, ownHealth: false };
  if (table.health?.store === 'redis') {
    return {
      health: createRedisHealth({
        ...option,
        url: table.health.url.reveal(),
        prefix: table.health.prefix,
      }),
      ownHealth: true,
    };
  }
  return { health: createHealthMemory(option ?? {}), ownHealth: true };
}

type Settled<T> = { data: T; response: Response; route: RouteInfo };

function toRouterPromise<T>(settled: Promise<Settled<T>>): RouterPromise<T> {
  const data = settled.then((result) => result.data) as RouterPromise<T>;
  // Callers who use only withRoute()/withResponse() handle the error there, not on `data`.
  const handled = () => {
    data.catch(() => undefined);
    return settled;
  };
  data.withRoute = () => handled().then((result) => ({ data: result.data, route: result.route }));
  data.withResponse = () =>
    handled().then((result) => ({
      data: result.data,
      response: result.response,
      // From the attempt log, where the id was redacted (a gateway may echo a key in it).
      request_id: result.route.gatewayIds['x-request-id'] ?? null,
      route: result.route,
    }));
  return data;
}

/**
 * A stream after its commit point, with the secrets of the upstream serving it blanked out of
 * whatever it throws (an error event or a cut may echo the key; the error's message, cause and
 * fields all carry it).
 */
async function* redactErrors<T>(source: AsyncGenerator<T>, redactor: Redactor): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    throw redactor.inPlace(error);
  }
}

/** The target's headers under the caller's (the caller wins), as one record; undefined when none. */
function mergeHeaders(
  target: Readonly<Record<string, string>>,
  caller: RequestHeaders,
): Record<string, string | null> | undefined {
  if (caller === undefined || caller === null) {
    // Most calls add nothing; the SDK only reads the record, so it needs no copy.
    return Object.keys(target).length > 0 ? (target as Record<string, string>) : undefined;
  }
  const merged: Record<string, string | null> = { ...target };
  const entries: [string, unknown][] =
    caller instanceof Headers
      ? [...caller]
      : Array.isArray(caller)
        ? (caller as [string, unknown][])
        : Object.entries(caller as object);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    merged[key] =
      value === null
        ? null
        : key === 'cf-aig-metadata'
          ? mergeMetadata(target[key], String(value))
          : String(value);
  }
  return merged;
}

/**
 * A request's `cf-aig-metadata` merged over the configured one, key by key (the request wins),
 * as the config merges gateway, upstream and alias metadata. A value that is not a JSON object
 * is sent as given, for the gateway to judge.
 */
function mergeMetadata(configured: string | undefined, request: string): string {
  if (configured === undefined) return request;
  const parse = (text: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  };
  const base = parse(configured);
  const extra = parse(request);
  if (base === undefined || extra === undefined) return request;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) merged[key] = value;
  return JSON.stringify(merged);
}
