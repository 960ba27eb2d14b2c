/**
 * What a gateway adapter is: data plus two small functions. The router asks an adapter how to
 * build the `openai` client for an upstream, and which headers and body fields a target adds.
 */
import type {
  GatewayRoute,
  GatewayType,
  TargetOptions,
  UpstreamRoute,
} from '../config/route-table.ts';

/** How to build (or find in the pool) the `openai` client for one upstream. */
export type ClientSetup = {
  /** The gateway's name. */
  readonly gateway: string;
  /** One client per gateway and credential: the gateway's name, and the provider where keys differ by provider. */
  readonly key: string;
  /** The bearer key (a placeholder when no `Authorization` header is sent; see `defaultHeaders`). */
  readonly apiKey: string;
  /** The SDK's `baseURL`. */
  readonly baseURL: string;
  /** Headers for every request of this client; `null` removes a header the SDK would add. */
  readonly defaultHeaders: Readonly<Record<string, string | null>>;
  /** Every secret value this client sends, so logs can be scrubbed of them. */
  readonly secrets: readonly string[];
};

/** Per-target additions to each request. */
export type RequestExtras = {
  /** Headers (e.g. `cf-aig-*`, attribution). */
  readonly headers: Readonly<Record<string, string>>;
  /** Body fields (e.g. OpenRouter `provider`, Vercel `providerOptions`), under the request's own. */
  readonly body: Readonly<Record<string, unknown>>;
};

/** A gateway kind. */
export type GatewayAdapter = {
  readonly type: GatewayType;
  /** The client for an upstream on this gateway. Throws a `RouterError` when no credential fits. */
  clientSetup(options: { gateway: GatewayRoute; upstream: UpstreamRoute }): ClientSetup;
  /** Headers and body fields from the merged gateway, upstream and alias options. */
  requestExtras(options: { gateway: GatewayRoute; options: TargetOptions }): RequestExtras;
};

/** Placeholder key for clients that send no `Authorization` header (the SDK requires a non-empty key). */
export const noKeyPlaceholder = 'switchyard-no-key';
