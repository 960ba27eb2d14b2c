/**
 * The compiled, frozen form of a config: references resolved, defaults applied, durations in
 * milliseconds, secrets wrapped. The router only reads this. Maps are null-prototype records,
 * so no lookup can reach `Object.prototype` (an alias named `toString` exists only if declared).
 */
import type { Secret } from '../secret.ts';

/** The kinds of gateway. */
export type GatewayType = 'cloudflare' | 'vercel' | 'openrouter' | 'openai-compatible';

/** An error class, as the retry policy sees it. */
export type ErrorClass =
  | 'rate_limit'
  | 'server'
  | 'timeout'
  | 'network'
  | 'auth'
  | 'not_found'
  | 'bad_request'
  | 'context_length'
  | 'content_filter'
  | 'interrupted_stream'
  | 'gateway'
  | 'payment'
  | 'invalid_response';

/** What to do after an error of a class: retry the same target, move to the next, or stop. */
export type ErrorAction = 'retry' | 'fallback' | 'fail';

/**
 * How a gateway authenticates.
 * - `bearer`: `Authorization: Bearer <apiKey>` (Vercel, OpenRouter, OpenAI-compatible; no header without a key).
 * - `provider-keys`: Cloudflare with your provider keys, on an open gateway.
 * - `provider-keys+token`: Cloudflare with your provider keys and `cf-aig-authorization`.
 * - `stored-keys`: Cloudflare with keys stored in Cloudflare: `cf-aig-authorization` only, no `Authorization`.
 * - `api-token`: Cloudflare's REST API: `Authorization: Bearer <Cloudflare API token>`, stored keys
 *   (or Unified Billing when opted in).
 */
export type AuthMode =
  | 'bearer'
  | 'provider-keys'
  | 'provider-keys+token'
  | 'stored-keys'
  | 'api-token';

/** Which Cloudflare endpoint a gateway calls: the `/compat` endpoint or the REST API. */
export type CloudflareEndpoint = 'compat' | 'rest';

/** Where a Cloudflare gateway is (its ids and endpoint). */
export type CloudflareLocation = {
  readonly accountId: string;
  /** Undefined only on the REST endpoint: the account's default gateway. */
  readonly gatewayId?: string;
  readonly endpoint: CloudflareEndpoint;
};

/** What a model serves: chat completions or embeddings. */
export type ModelKind = 'chat' | 'embeddings';

/** A compiled gateway. */
export type GatewayRoute = {
  /** The gateway's name in the config. */
  readonly name: string;
  readonly type: GatewayType;
  /** The base URL the SDK appends `/chat/completions` to (Cloudflare: `.../compat`). */
  readonly baseURL: string;
  /** `baseURL`'s origin; credentials are only ever sent there. */
  readonly origin: string;
  readonly auth: GatewayAuth;
  /** Static headers for every request: the config's `headers` (secret values) and attribution. */
  readonly headers: Readonly<Record<string, Secret | string>>;
  /** Gateway-level options (Cloudflare features, routing); merged under upstream and alias options. */
  readonly options: TargetOptions;
  /** Cloudflare gateways: account, gateway and endpoint. */
  readonly cloudflare?: CloudflareLocation;
};

/** A compiled gateway's credentials. */
export type GatewayAuth =
  | { readonly mode: 'bearer'; readonly apiKey?: Secret }
  | { readonly mode: 'provider-keys'; readonly keys: Readonly<Record<string, Secret>> }
  | {
      readonly mode: 'provider-keys+token';
      readonly token: Secret;
      readonly keys: Readonly<Record<string, Secret>>;
    }
  | { readonly mode: 'stored-keys'; readonly token: Secret; readonly unifiedBilling: boolean }
  | { readonly mode: 'api-token'; readonly token: Secret; readonly unifiedBilling: boolean };

/** Options that can be set on a gateway, an upstream or an alias (all optional, compiled). */
export type TargetOptions = {
  /** Cloudflare: cache TTL in whole seconds (`cf-aig-cache-ttl`). */
  readonly cacheTtlSeconds?: number;
  readonly skipCache?: boolean;
  readonly cacheKey?: string;
  /** Cloudflare: custom log metadata (`cf-aig-metadata`), at most 5 entries after merging. */
  readonly metadata?: Readonly<Record<string, string | number | boolean>>;
  readonly collectLog?: boolean;
  readonly collectLogPayload?: boolean;
  /** Cloudflare: gateway-side timeout to first byte, in milliseconds (`cf-aig-request-timeout`). */
  readonly requestTimeoutMs?: number;
  /** Cloudflare: gateway-side attempts (`cf-aig-max-attempts`), 1 to 5. */
  readonly maxAttempts?: number;
  /** Cloudflare: gateway-side retry delay in milliseconds (`cf-aig-retry-delay`). */
  readonly retryDelayMs?: number;
  readonly backoff?: 'constant' | 'linear' | 'exponential';
  readonly eventId?: string;
  readonly customCost?: { readonly perTokenIn: number; readonly perTokenOut: number };
  readonly byokAlias?: string;
  readonly zdr?: boolean;
  /** Vercel (`providerOptions.gateway`) or OpenRouter (`provider`) routing, as written. */
  readonly routing?: Readonly<Record<string, unknown>>;
  /** App attribution headers. */
  readonly attribution?: { readonly url?: string; readonly title?: string };
};

/** A concrete model on a gateway. */
export type UpstreamRoute = {
  /** The upstream's name (`<gateway>:<model>` for inline targets). */
  readonly name: string;
  /** The gateway's name. */
  readonly gateway: string;
  /** The model string, sent verbatim. */
  readonly model: string;
  /** What it serves: `kind` as declared, else `embeddings` when the model string says "embed"; undefined serves either. */
  readonly kind?: ModelKind;
  /** Cloudflare: the provider prefix of `model` (`openai` in `openai/gpt-4o`). */
  readonly provider?: string;
  /** Body fields merged under each request's own. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Gateway options merged over the gateway's. */
  readonly options: TargetOptions;
  /** The model's context window, in tokens (prompt and output); undefined = unknown. */
  readonly contextWindow?: number;
  /** The most tokens the model writes in one answer; undefined = unknown. */
  readonly maxOutputTokens?: number;
  /** What the upstream costs, for the route's `cost`; undefined = unknown. */
  readonly price?: UpstreamPrice;
};

/** An upstream's price, in USD per million tokens. */
export type UpstreamPrice = {
  /** USD per million prompt tokens. */
  readonly input: number;
  /** USD per million completion tokens. */
  readonly output: number;
  /** USD per million cached prompt tokens. @default input */
  readonly cachedInput: number;
};

/** One conditional entry of an alias (`when`): the context it matches, and its chain. */
export type WhenRoute = {
  /** Context field → the values that match it (a call matches when every field does). */
  readonly match: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /** Upstream names in fallback order (nested aliases spliced in). */
  readonly targets: readonly string[];
};

/** Retry policy for one target. */
export type RetryPolicy = {
  /** Requests per target, the first included. @default 2 */
  readonly attempts: number;
  /** First backoff wait, in milliseconds. @default 250 */
  readonly initialDelayMs: number;
  /** Longest wait (backoff or Retry-After), in milliseconds. @default 8000 */
  readonly maxDelayMs: number;
  /** Backoff multiplier. @default 2 */
  readonly factor: number;
  /** Equal jitter on each wait (half fixed, half random). @default true */
  readonly jitter: boolean;
};

/** Time limits of a call. */
export type Timeouts = {
  /** Whole call, retries and fallbacks included (streams: until the first content chunk), ms. @default 60000 */
  readonly totalMs: number;
  /**
   * One request to one target, ms, when `timeout.attempt` is set. Without it, `totalMs`, and
   * {@link Timeouts.handOver} is true. @default totalMs
   */
  readonly attemptMs: number;
  /**
   * True when no `timeout.attempt` is set (the default): an attempt on a target that has a
   * later one is limited to its share of what is left of the deadline (what is left ÷ the
   * targets not yet tried, this one included), and when that share passes without an answer the
   * target hands over to the next one at once, without a retry. The last target may use all that
   * is left. @default false when `timeout.attempt` is set
   */
  readonly handOver?: boolean;
  /** Streams: wait for the first content chunk, ms; undefined = no separate limit. */
  readonly firstTokenMs?: number;
  /** Streams: longest gap between chunks, ms. @default 30000 */
  readonly idleMs: number;
};

/** An alias's `hedge`, compiled. */
export type HedgeRoute = {
  /** Wait for the first target's first content before the next target starts, ms. */
  readonly afterMs: number;
  /** Most hedged calls among the alias's last 100 streamed calls, as a share (0 to 1]. @default 0.1 */
  readonly maxShare: number;
};

/** A compiled alias. */
export type AliasRoute = {
  readonly name: string;
  /** What its upstreams serve; undefined when none declares (or implies) a kind. */
  readonly kind?: ModelKind;
  /** Upstream names in fallback order (nested aliases spliced in). */
  readonly targets: readonly string[];
  /**
   * Conditional chains: the first entry whose `match` the call's context satisfies replaces
   * `targets` for that call; undefined = `targets` always.
   */
  readonly when?: readonly WhenRoute[];
  /** Hedged first tokens for streamed chat calls (`hedge` in the config); undefined = off. */
  readonly hedge?: HedgeRoute;
  /** `weighted`: each call draws the order of `targets` by `weights`; absent: as listed. */
  readonly strategy?: 'weighted';
  /** With `strategy: 'weighted'`: the weight of each target, by index (0: fallback only). */
  readonly weights?: readonly number[];
  readonly retry: RetryPolicy;
  readonly timeouts: Timeouts;
  /** Action per error class. */
  readonly policy: Readonly<Record<ErrorClass, ErrorAction>>;
  /** Alias-level options, applied to each target where they apply. */
  readonly options: TargetOptions;
  /** Alias-level body fields (under the request's, over the upstream's). */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Served by a Cloudflare dynamic route (`dynamicRoute` in the config): `targets` then starts
   * with `<gateway>:dynamic/<name>`, followed by the client-side rest of the chain; `edge` is
   * the part of the chain the route runs.
   */
  readonly dynamicRoute?: {
    readonly name: string;
    readonly gateway: string;
    /** Upstream names compiled into the route's `model` elements, in order. */
    readonly edge: readonly string[];
    /**
     * The limit on one request to the route, in milliseconds: every `model` element's tries at
     * the alias's attempt limit, plus one more for the gateway's own work, within the deadline
     * (the alias's attempt limit would cut the edge fallback short).
     */
    readonly attemptMs: number;
  };
};

/** Where health memory lives (the config's `health`). */
export type HealthConfig =
  | { readonly store: 'memory' }
  | {
      readonly store: 'redis';
      /** The Redis URL (it may hold a password). */
      readonly url: Secret;
      /** Key prefix. @default 'switchyard' */
      readonly prefix: string;
    };

/** Settings of `switchyard serve` (the config's `serve`); the router ignores them. */
export type ServeConfig = {
  /** Client keys every `/v1` request must present (one of). @default [] */
  readonly keys: readonly ServeClientKey[];
  /**
   * Whether keyed clients may call names that are not aliases (`<gateway>:<model>`, bare
   * names sent to `defaults.gateway`). @default false
   */
  readonly directModels: boolean;
  /**
   * Body fields the config sets for an upstream that a client may set anyway: their names, or
   * `'all'`. @default [] (none: a request setting one gets 400)
   */
  readonly clientOverrides: readonly string[] | 'all';
  /** Origins allowed to call from a browser (CORS); `*` for any. @default [] */
  readonly corsOrigins: readonly string[];
};

/** One client key of `switchyard serve`. */
export type ServeClientKey = {
  readonly key: Secret;
  /** The aliases this key may call. @default undefined (every alias) */
  readonly models?: readonly string[];
};

/** The compiled config: what `parseConfig`/`loadConfig` return and `createRouter` takes. */
export type RouteTable = {
  readonly version: 1;
  /** Where the config came from (a file name, or `<config>`). */
  readonly source: string;
  readonly gateways: Readonly<Record<string, GatewayRoute>>;
  /** Declared upstreams and inline `<gateway>:<model>` targets. */
  readonly upstreams: Readonly<Record<string, UpstreamRoute>>;
  readonly aliases: Readonly<Record<string, AliasRoute>>;
  /** Settings for calls that address `<gateway>:<model>` directly or fall to `defaultGateway`. */
  readonly defaults: {
    readonly retry: RetryPolicy;
    readonly timeouts: Timeouts;
    readonly policy: Readonly<Record<ErrorClass, ErrorAction>>;
    /** Gateway for model names that are not aliases; undefined = such names are errors. */
    readonly gateway?: string;
  };
  /** Where health memory lives; undefined = in this process. */
  readonly health?: HealthConfig;
  /** Settings of `switchyard serve`; undefined when the config has none. */
  readonly serve?: ServeConfig;
};
