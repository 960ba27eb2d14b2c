/**
 * What a gateway module is: data plus a few small functions, everything about one gateway type
 * in one place. The compile step asks it for its default endpoint, its credentials and option
 * keys, and the checks an upstream on it must pass; the router asks it how to build the `openai`
 * client for an upstream and which headers and body fields a target adds; `switchyard emulate`
 * asks where the emulator imitates it.
 */
import type { Gateway, TargetOptions as TargetOptionsInput } from '../config/config.generated.ts';
import type {
  CloudflareLocation,
  GatewayAuth,
  GatewayRoute,
  GatewayType,
  TargetOptions,
  UpstreamRoute,
} from '../config/route-table.ts';
import type { ConfigPath, ReportIssue } from './config-issues.ts';

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

/** Options of {@link GatewayAdapter.compileGateway}. */
export type CompileGatewayPartsOptions = {
  /** The gateway's name in the config. */
  name: string;
  /** The gateway as written (schema-valid). */
  input: Gateway;
  /** Its path in the config (`['gateways', name]`). */
  path: ConfigPath;
  /** The configured or default base URL, checked, without trailing slashes. */
  baseURL: string;
  report: ReportIssue;
  /** Compiles an `options:` block of this gateway (the compile step's option checks). */
  compileOptions: (input: TargetOptionsInput | undefined) => TargetOptions;
};

/** What a gateway type compiles itself; the compile step adds name, type, headers and origin. */
export type CompiledGatewayParts = {
  /** The SDK's `baseURL` (the endpoint path included). */
  readonly baseURL: string;
  readonly auth: GatewayAuth;
  readonly options: TargetOptions;
  /** Cloudflare gateways: account, gateway and endpoint. */
  readonly cloudflare?: CloudflareLocation;
};

/** Options of {@link GatewayAdapter.checkUpstream}. */
export type CheckUpstreamOptions = {
  /** The upstream's name (`<gateway>:<model>` for inline targets). */
  name: string;
  /** The model string as written. */
  model: string;
  /** Where the model string is in the config. */
  modelPath: ConfigPath;
  /** The compiled gateway the upstream is on. */
  gateway: GatewayRoute;
  report: ReportIssue;
};

/** Options of {@link GatewayAdapter.emulatorHint}. */
export type EmulatorHintOptions = {
  /** The emulator's origin, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  /** The config's gateway, when a config is loaded. */
  gateway?: GatewayRoute;
};

/** A gateway type. */
export type GatewayAdapter = {
  readonly type: GatewayType;
  /** The name users know it by, in messages (`Cloudflare`, `OpenAI-compatible`). */
  readonly label: string;
  /** The public endpoint used when a gateway sets no `baseURL` ('' when there is none). */
  defaultBaseURL(input: Gateway): string;
  /** The config keys that carry credentials, named when a header would carry them instead. */
  readonly credentialKeys: string;
  /** The `options:` keys that apply to this gateway type. */
  readonly optionKeys: ReadonlySet<string>;
  /** Reports credentials `fetch` would refuse in a header. */
  checkCredentials(options: { input: Gateway; path: ConfigPath; report: ReportIssue }): void;
  /** The endpoint, auth and options of one gateway, or undefined after reporting why not. */
  compileGateway(options: CompileGatewayPartsOptions): CompiledGatewayParts | undefined;
  /**
   * Checks an upstream on this gateway; returns what the table keeps of it (Cloudflare: the
   * provider prefix), or undefined after reporting why the model string is unusable.
   */
  checkUpstream(options: CheckUpstreamOptions): { readonly provider?: string } | undefined;
  /**
   * Where the emulator imitates this type: its path under the emulator's origin, or undefined
   * when the gateway's own path is kept (Cloudflare's account and gateway, an OpenAI-compatible
   * server's path).
   */
  readonly emulatorPath: string | undefined;
  /** What to set `baseURL` to for the emulator, as `switchyard emulate` prints it. */
  emulatorHint(options: EmulatorHintOptions): string;
  /** What the emulator's fault rules call a gateway of this type in `match.gateway`. */
  emulatorRouteName(gateway: GatewayRoute): string;
  /** The client for an upstream on this gateway. Throws a `RouterError` when no credential fits. */
  clientSetup(options: { gateway: GatewayRoute; upstream: UpstreamRoute }): ClientSetup;
  /** Headers and body fields from the merged gateway, upstream and alias options. */
  requestExtras(options: { gateway: GatewayRoute; options: TargetOptions }): RequestExtras;
  /**
   * What a direct name (`<gateway>:<model>`) adds to its upstream (Cloudflare: the provider);
   * throws a `RouterError` when the gateway cannot serve the name. @default nothing added
   */
  directModel?(options: { gateway: GatewayRoute; model: string }): { readonly provider?: string };
  /** Requests the gateway makes itself per request sent to it (its own retries). @default 1 */
  gatewayAttempts?(options: TargetOptions): number;
  /**
   * A target's headers with the caller's per-call context added, for a gateway that records it
   * (Cloudflare's `cf-aig-metadata`). @default the headers unchanged
   */
  withContext?(
    headers: Readonly<Record<string, string>>,
    context: Readonly<Record<string, unknown>>,
  ): Readonly<Record<string, string>>;
  /** Why a target cannot serve the OpenAI Responses API. @default undefined (it can) */
  responsesUnsupported?(options: {
    gateway: GatewayRoute;
    upstream: UpstreamRoute;
  }): string | undefined;
};

/** Placeholder key for clients that send no `Authorization` header (the SDK requires a non-empty key). */
export const noKeyPlaceholder = 'switchyard-no-key';
