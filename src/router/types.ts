/**
 * Public types of the router: options, hooks, plans and the route information a call returns.
 */
import type OpenAI from 'openai';
import type { Stream } from 'openai/core/streaming';
import type {
  AuthMode,
  ErrorAction,
  ErrorClass,
  GatewayType,
  HedgeRoute,
  ModelKind,
  RetryPolicy,
  RouteTable,
  Timeouts,
  UpstreamPrice,
} from '../config/route-table.ts';
import type { AttemptRecord } from '../errors.ts';
import type { HealthMemoryOptions, HealthStore } from './health-memory.ts';
import type { RedisHealthOptions } from './health-redis.ts';
import type { RouterTracing } from './tracing.ts';

/** The `fetch` the `openai` SDK accepts. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** State passed to `onAttempt`: one request finished (or was skipped). */
export type AttemptState = {
  /** The model asked for (alias or `<gateway>:<model>`). */
  readonly model: string;
  /** The attempt, as recorded in the log. */
  readonly attempt: AttemptRecord;
  /** The error of a failed attempt. */
  readonly error?: unknown;
  /** The call's context, when the request gave one. */
  readonly context?: CallContext;
};

/**
 * Per-call fields a caller attaches with `RouterRequestOptions.context` (a request id, a user or
 * tenant tag): they reach the hooks, the attempt log, the route, trace spans and Cloudflare's
 * log metadata. Never put secrets here.
 */
export type CallContext = Readonly<Record<string, string | number | boolean>>;

/** Token usage of a call, as the gateway reported it. */
export type TokenUsage = {
  /** Prompt tokens (`usage.prompt_tokens`). */
  readonly inputTokens?: number;
  /**
   * Of the prompt tokens, those the provider served from its cache
   * (`usage.prompt_tokens_details.cached_tokens`), when it reported any.
   */
  readonly cachedInputTokens?: number;
  /** Completion tokens (`usage.completion_tokens`). */
  readonly outputTokens?: number;
  /** `usage.total_tokens`. */
  readonly totalTokens?: number;
};

/** State passed to `onRetry`: the same target is about to be tried again. */
export type RetryState = {
  readonly model: string;
  /** The attempt that failed. */
  readonly attempt: AttemptRecord;
  readonly error: unknown;
  /** Wait before the retry, in milliseconds. */
  readonly waitMs: number;
  readonly context?: CallContext;
};

/** State passed to `onFallback`: the router moves to the next target. */
export type FallbackState = {
  readonly model: string;
  /** Upstream given up on. */
  readonly from: string;
  /** Upstream tried next. */
  readonly to: string;
  readonly error: unknown;
  readonly context?: CallContext;
};

/** State passed to `onSuccess`. */
export type SuccessState = {
  readonly model: string;
  /** The route, with `usage` for plain calls (streams report usage when they end, on the route). */
  readonly route: RouteInfo;
  readonly context?: CallContext;
};

/** State passed to `onFailure`. */
export type FailureState = {
  readonly model: string;
  readonly error: unknown;
  readonly attempts: readonly AttemptRecord[];
  readonly context?: CallContext;
};

/**
 * Observability callbacks. Each receives one frozen state object. A hook that throws or returns
 * a rejected promise changes nothing; its first failure is reported once per router as a process
 * warning with code `SWITCHYARD_HOOK_FAILED`.
 */
export type RouterHooks = {
  /**
   * After each request (sent or skipped): the target, the outcome and what follows.
   * @default undefined (nothing is called)
   */
  onAttempt?: (state: AttemptState) => void;
  /**
   * Before a retry on the same target, with the wait in milliseconds.
   * @default undefined (nothing is called)
   */
  onRetry?: (state: RetryState) => void;
  /**
   * When the call moves on to the next target, with the failure that made it move.
   * @default undefined (nothing is called)
   */
  onFallback?: (state: FallbackState) => void;
  /**
   * When a call succeeds, with its route.
   * @default undefined (nothing is called)
   */
  onSuccess?: (state: SuccessState) => void;
  /**
   * When a call fails, with the error it ends with.
   * @default undefined (nothing is called)
   */
  onFailure?: (state: FailureState) => void;
};

/** Options of `createRouter`. */
export type RouterOptions = RouterHooks & {
  /**
   * The `fetch` every `openai` client uses (tests, proxies, instrumentation).
   * @default globalThis.fetch
   */
  fetch?: Fetch;
  /**
   * Environment for the few variables the `openai` SDK reads on its own
   * (`OPENAI_CUSTOM_HEADERS`), which the router neutralises.
   * @default process.env where the runtime has one
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Aborts every call of this router (e.g. at shutdown).
   * @default undefined (only `close()` and each call's own signal end calls)
   */
  signal?: AbortSignal;
  /**
   * Random source for backoff jitter, returning [0, 1). Injectable for tests.
   * @default Math.random
   */
  random?: () => number;
  /**
   * Wall clock in milliseconds since the epoch (Retry-After dates, health cool-downs).
   * @default Date.now
   */
  now?: () => number;
  /**
   * Tracing: e.g. `createOpenTelemetryTracing()` from `switchyard-ai/otel`. Without it the router
   * does no tracing work at all.
   * @default undefined (no tracing)
   */
  tracing?: RouterTracing;
  /**
   * Health memory: skip upstreams that keep failing for a cool-down, then probe them.
   * Options for the built-in memory, your own {@link HealthStore} (e.g. shared across
   * processes), or `false` to turn it off.
   * With `health: { store: redis }` in the config, these options tune the Redis store the
   * router creates (and closes on `close()`).
   * @default {} (built-in memory: 3 failures, 5 s first cool-down, 60 s longest)
   */
  health?:
    | (HealthMemoryOptions &
        Pick<
          RedisHealthOptions,
          'timeoutMs' | 'recheckMs' | 'failureWindowMs' | 'probeTtlMs' | 'log'
        >)
    | HealthStore
    | false;
};

/** One target of a plan, as `router.resolve()` shows it. Secrets are redacted. */
export type PlanTarget = {
  /** Upstream name (`<gateway>:<model>` for direct calls). */
  readonly upstream: string;
  /** Gateway name. */
  readonly gateway: string;
  readonly gatewayType: GatewayType;
  /** The chat completions URL requests go to. */
  readonly url: string;
  /** Model string sent. */
  readonly model: string;
  readonly authMode: AuthMode;
  /** Headers the router adds (secret values shown as `[redacted]`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Body fields merged under the request's own (upstream and alias `params`, routing). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Gateway-side attempts (`cf-aig-max-attempts`), 1 when not configured. */
  readonly gatewayAttempts: number;
  /**
   * This target's own limit on one request, ms, when it differs from `timeouts.attemptMs`: a
   * dynamic route's covers every model element's tries inside the gateway.
   */
  readonly attemptMs?: number;
  /** With `strategy: 'weighted'`: the target's weight (0: fallback only). */
  readonly weight?: number;
  /** With `strategy: 'weighted'`: the share of calls that start with this target, 0 to 1. */
  readonly share?: number;
  /** The upstream's context window, in tokens, when declared (`contextWindow`). */
  readonly contextWindow?: number;
  /** The most output tokens the upstream writes, when declared (`maxOutputTokens`). */
  readonly maxOutputTokens?: number;
  /** The upstream's price, USD per million tokens, when declared (`price`). */
  readonly price?: UpstreamPrice;
};

/** One `when` entry of an alias's plan: the context it matches and the targets it runs. */
export type PlanCondition = {
  /** Context field → the values that match (a call matches when every field does). */
  readonly match: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /** The targets a matching call runs, in fallback order. */
  readonly targets: readonly PlanTarget[];
};

/** What a call to a model would do, computed without I/O. */
export type Plan = {
  /** The name asked for. */
  readonly model: string;
  /** How the name resolved. */
  readonly kind: 'alias' | 'direct' | 'default-gateway';
  /**
   * What the alias serves: `chat` (`chat.completions.create`) or `embeddings`
   * (`embeddings.create`); undefined for `<gateway>:<model>` and default-gateway names, which
   * serve either.
   */
  readonly serves?: ModelKind;
  /** Targets in fallback order (with `strategy: 'weighted'`, as listed; each call draws its own order). */
  readonly targets: readonly PlanTarget[];
  /**
   * The alias's `when` entries, in order: a call whose context matches one runs its targets
   * instead of `targets`. Undefined when the alias has none.
   */
  readonly conditions?: readonly PlanCondition[];
  /** Present for load-balanced aliases: each call orders the targets by their `weight`. */
  readonly strategy?: 'weighted';
  readonly retry: RetryPolicy;
  readonly timeouts: Timeouts;
  /**
   * Hedged first tokens (streamed chat calls): the wait for the first target's content before
   * the next target starts in parallel, and the budget. Undefined when the alias has no `hedge`.
   */
  readonly hedge?: HedgeRoute;
  readonly policy: Readonly<Record<ErrorClass, ErrorAction>>;
  /** The most a call can cost: requests sent (gateway-side attempts counted) and time. */
  readonly worstCase: {
    /**
     * Requests, at most: each target's attempts × its gateway-side attempts, summed (with
     * `conditions`, over the longest of the chains).
     */
    readonly requests: number;
    /** Milliseconds, at most: the call's deadline (streams: until their first content chunk). */
    readonly timeMs: number;
  };
};

/** Which upstream served a call, and how. */
export type RouteInfo = {
  /** The name asked for. */
  readonly model: string;
  /** The upstream that served it. */
  readonly upstream: string;
  readonly gateway: string;
  /** The model string sent to the gateway. */
  readonly upstreamModel: string;
  /** Every attempt, the successful one last. */
  readonly attempts: readonly AttemptRecord[];
  /** Gateway response identifiers (`cf-aig-log-id`, `cf-aig-cache-status`, `cf-aig-step`, `x-request-id`, ...). */
  readonly gatewayIds: Readonly<Record<string, string>>;
  /** The call's context, when the request gave one. */
  readonly context?: CallContext;
  /**
   * Token usage, when the gateway reported it: set for plain calls before `onSuccess`; for
   * streams when the stream ends (ask with `stream_options: { include_usage: true }`).
   */
  readonly usage?: TokenUsage;
  /**
   * What the call cost, in USD: the serving attempt's `usage` at its upstream's `price`
   * (cached prompt tokens at `price.cachedInput`). Undefined when the upstream has no `price`
   * or the gateway reported no usage; for streams, known when the stream ends (like `usage`).
   * Failed attempts before it are not counted: gateways do not report their usage.
   */
  readonly cost?: number;
};

/** The promise a router call returns: the result, plus ways to see the route and the response. */
export type RouterPromise<T> = Promise<T> & {
  /** The result and the route that served it. */
  withRoute(): Promise<{ data: T; route: RouteInfo }>;
  /** Like the SDK's `withResponse()`: the result, the serving `Response`, its request id, and the route. */
  withResponse(): Promise<{
    data: T;
    response: Response;
    request_id: string | null;
    route: RouteInfo;
  }>;
};

/** The SDK's per-request options. */
type RequestOptions = NonNullable<Parameters<OpenAI['embeddings']['create']>[1]>;

/**
 * Per-call options, as the SDK takes them: `signal` (aborts the whole call), `headers` (added to
 * every attempt, e.g. `cf-aig-*` for one request), `timeout` (the call's deadline, in ms).
 */
export type RouterRequestOptions = Pick<RequestOptions, 'signal' | 'headers' | 'timeout'> & {
  /**
   * Fields that identify this call (a request id, a user or tenant tag). They reach the hooks,
   * the attempt log, the route, trace spans, and Cloudflare's log metadata (merged over the
   * configured `metadata`; Cloudflare keeps at most 5 entries). Values: strings, numbers or
   * booleans; never secrets.
   * @default undefined (no context)
   */
  context?: CallContext;
};

/**
 * The alias names of your config, for the type checker. Empty here, so `model` accepts any
 * string; `switchyard types` writes a declaration file that adds your aliases to it (module
 * augmentation), and from then on a misspelt alias is a compile error.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging.
export interface SwitchyardAliases {}

/**
 * What `model` accepts: any string until {@link SwitchyardAliases} lists aliases; then one of
 * them, or `<gateway>:<model>` to address a gateway directly.
 */
export type ModelName = [keyof SwitchyardAliases] extends [never]
  ? string
  : (keyof SwitchyardAliases & string) | `${string}:${string}`;

/** SDK params with `model` narrowed to {@link ModelName}. */
type WithModel<P> = P extends unknown ? Omit<P, 'model'> & { model: ModelName } : never;

/** Chat completion params as the SDK types them; `model` is an alias or `<gateway>:<model>`. */
export type ChatParams = WithModel<OpenAI.Chat.ChatCompletionCreateParams>;

/** The router: a drop-in for the parts of the `openai` client apps use. */
export type Router = {
  /**
   * The OpenAI Responses API, with the same aliases, retries, fallback, deadline, streaming
   * commit point and attempt log as chat. Every target of the alias must serve it (Cloudflare
   * only on `endpoint: rest`, and not through a dynamic route); otherwise the call is refused
   * with `INVALID_REQUEST` before any request.
   */
  readonly responses: {
    create(
      params: WithModel<OpenAI.Responses.ResponseCreateParamsNonStreaming>,
      options?: RouterRequestOptions,
    ): RouterPromise<OpenAI.Responses.Response>;
    create(
      params: WithModel<OpenAI.Responses.ResponseCreateParamsStreaming>,
      options?: RouterRequestOptions,
    ): RouterPromise<Stream<OpenAI.Responses.ResponseStreamEvent>>;
    create(
      params: WithModel<OpenAI.Responses.ResponseCreateParams>,
      options?: RouterRequestOptions,
    ): RouterPromise<OpenAI.Responses.Response | Stream<OpenAI.Responses.ResponseStreamEvent>>;
  };
  readonly chat: {
    readonly completions: {
      create(
        params: WithModel<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming>,
        options?: RouterRequestOptions,
      ): RouterPromise<OpenAI.Chat.ChatCompletion>;
      create(
        params: WithModel<OpenAI.Chat.ChatCompletionCreateParamsStreaming>,
        options?: RouterRequestOptions,
      ): RouterPromise<Stream<OpenAI.Chat.ChatCompletionChunk>>;
      create(
        params: WithModel<OpenAI.Chat.ChatCompletionCreateParams>,
        options?: RouterRequestOptions,
      ): RouterPromise<OpenAI.Chat.ChatCompletion | Stream<OpenAI.Chat.ChatCompletionChunk>>;
    };
  };
  readonly embeddings: {
    create(
      params: WithModel<OpenAI.EmbeddingCreateParams>,
      options?: RouterRequestOptions,
    ): RouterPromise<OpenAI.CreateEmbeddingResponse>;
  };
  /** The plan for a model name, without I/O. Throws `UnknownAliasError` for an unknown name. */
  resolve(model: string): Plan;
  /** The alias names, in config order. */
  aliases(): string[];
  /**
   * Swaps in a new compiled config, atomically: calls already running finish on the config they
   * started with; new calls use the new one. Health state carries over for upstreams whose
   * gateway, model and endpoint did not change. Validate first (`loadConfig` throws on a bad
   * file, leaving the router as it was).
   */
  reload(table: RouteTable): void;
  /** The config in use. */
  config(): RouteTable;
  /** Releases clients and timers; later calls fail with `ROUTER_CLOSED`. */
  close(): Promise<void>;
};
