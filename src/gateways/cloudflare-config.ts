/**
 * Cloudflare AI Gateway in a config: the endpoint URL (compat:
 * `/v1/{accountId}/{gatewayId}/compat`; REST: `/client/v4/accounts/{accountId}/ai/v1`), the auth
 * modes, the checks an upstream on it must pass (provider/model strings, stored keys, the REST
 * endpoint's rules, at most 5 metadata entries), and what the emulator needs to imitate it.
 */
import type { CloudflareGateway, Gateway } from '../config/config.generated.ts';
import type {
  CloudflareLocation,
  GatewayAuth,
  GatewayRoute,
  TargetOptions,
  UpstreamRoute,
} from '../config/route-table.ts';
import { listNames } from '../internal/did-you-mean.ts';
import { freezeRecord } from '../internal/freeze.ts';
import { Secret } from '../secret.ts';
import { type ConfigPath, checkHeaderValue, type ReportIssue } from './config-issues.ts';
import type {
  CheckUpstreamOptions,
  CompiledGatewayParts,
  CompileGatewayPartsOptions,
} from './types.ts';

/** The public compat endpoint's origin, used when a gateway sets no `baseURL`. */
export const cloudflareOrigin = 'https://gateway.ai.cloudflare.com';

/** The origin of Cloudflare's REST API, used by `endpoint: rest` gateways without a `baseURL`. */
export const cloudflareRestOrigin = 'https://api.cloudflare.com';

/**
 * Cloudflare keeps at most 5 custom metadata entries per request
 * (https://developers.cloudflare.com/ai-gateway/observability/custom-metadata/).
 */
export const maxMetadataEntries = 5;

/** The `options:` keys Cloudflare gateways take (each sent as a `cf-aig-*` header). */
export const cloudflareOptionKeys: ReadonlySet<string> = new Set([
  'cacheTtl',
  'skipCache',
  'cacheKey',
  'metadata',
  'collectLog',
  'collectLogPayload',
  'requestTimeout',
  'maxAttempts',
  'retryDelay',
  'backoff',
  'eventId',
  'customCost',
  'byokAlias',
  'zdr',
]);

/**
 * Why a `byokAlias` other than `default` is refused, or undefined when it is fine. Cloudflare
 * consults a key stored under another alias only when `cf-aig-byok-alias` comes with a request
 * to a provider-native endpoint; on the compat and REST endpoints (the only ones Switchyard
 * calls) only the `default` key counts, and without one the call falls through to Unified
 * Billing ("Credential precedence",
 * https://developers.cloudflare.com/ai-gateway/features/unified-billing/#credential-precedence;
 * cloudflare-docs pull requests 32399 and 32893).
 */
export function byokAliasProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === 'default') return undefined;
  return `"byokAlias: ${value}" would do nothing: Cloudflare uses a key stored under an alias other than "default" only on provider-native endpoints, and Switchyard calls the compat and REST endpoints, where the call would use the "default" key or be billed to Unified Billing (https://developers.cloudflare.com/ai-gateway/features/unified-billing/#credential-precedence); store the key under the alias "default" and remove byokAlias`;
}

/** The default origin for a Cloudflare gateway as written: the REST API's or the compat one's. */
export function cloudflareDefaultBaseURL(input: Gateway): string {
  return (input as CloudflareGateway).endpoint === 'rest' ? cloudflareRestOrigin : cloudflareOrigin;
}

/**
 * The number of metadata entries once option layers are merged (later layers win per key),
 * when it is more than Cloudflare keeps; undefined when it fits.
 */
export function metadataOverflow(layers: readonly TargetOptions[]): number | undefined {
  const merged = Object.assign({}, ...layers.map((layer) => layer.metadata));
  const count = Object.keys(merged).length;
  return count > maxMetadataEntries ? count : undefined;
}

/**
 * The provider of a Cloudflare compat model string (`openai` in `openai/gpt-4o-mini`), or
 * undefined when it is not `provider/model` with both parts present.
 */
export function cloudflareProvider(model: string): string | undefined {
  const slash = model.indexOf('/');
  return slash <= 0 || slash === model.length - 1 ? undefined : model.slice(0, slash);
}

/** Every credential of a Cloudflare gateway is sent in a header (`Bearer …`): checked like one. */
export function checkCloudflareCredentials(options: {
  input: Gateway;
  path: ConfigPath;
  report: ReportIssue;
}): void {
  const { path, report } = options;
  const { token, keys } = (options.input as CloudflareGateway).auth;
  checkHeaderValue({ value: token, path: [...path, 'auth', 'token'], what: 'auth.token', report });
  if (typeof keys !== 'object' || keys === null) return;
  for (const [provider, key] of Object.entries(keys)) {
    checkHeaderValue({
      value: key,
      path: [...path, 'auth', 'keys', provider],
      what: `the key for "${provider}"`,
      report,
    });
  }
}

/** The endpoint, location, auth and options of a Cloudflare gateway. */
export function compileCloudflareGateway(
  options: CompileGatewayPartsOptions,
): CompiledGatewayParts | undefined {
  const { path, report } = options;
  const input = options.input as CloudflareGateway;
  const rest = input.endpoint === 'rest';
  const account = encodeURIComponent(input.accountId);
  let baseURL: string;
  if (rest) {
    baseURL = `${options.baseURL}/client/v4/accounts/${account}/ai/v1`;
  } else if (input.gatewayId === undefined) {
    report(
      'SCHEMA_VIOLATION',
      path,
      'missing gatewayId: the compat endpoint is /v1/{accountId}/{gatewayId}/compat; add gatewayId: ${CLOUDFLARE_GATEWAY_ID} (or endpoint: rest, which can use the default gateway)',
    );
    return undefined;
  } else {
    baseURL = `${options.baseURL}/v1/${account}/${encodeURIComponent(input.gatewayId)}/compat`;
  }
  const location: CloudflareLocation = Object.freeze({
    accountId: input.accountId,
    ...(input.gatewayId === undefined ? {} : { gatewayId: input.gatewayId }),
    endpoint: rest ? 'rest' : 'compat',
  });
  const auth = compileCloudflareAuth({ input, rest, path: [...path, 'auth'], report });
  if (auth === undefined) return undefined;
  return { baseURL, auth, options: options.compileOptions(input.options), cloudflare: location };
}

function compileCloudflareAuth(options: {
  input: CloudflareGateway;
  /** The REST endpoint: a Cloudflare API token in Authorization, stored keys only. */
  rest: boolean;
  path: ConfigPath;
  report: ReportIssue;
}): GatewayAuth | undefined {
  const { input, path, report } = options;
  const { token, keys, unifiedBilling } = input.auth;
  if (options.rest) return compileRestAuth(options);
  if (keys === 'stored') {
    if (token === undefined) {
      report(
        'MISSING_CREDENTIAL',
        path,
        'keys: stored needs a gateway token: add token: ${CLOUDFLARE_AIG_TOKEN} (stored keys only work on an authenticated gateway)',
      );
      return undefined;
    }
    return {
      mode: 'stored-keys',
      token: new Secret(token),
      unifiedBilling: unifiedBilling === true,
    };
  }
  if (unifiedBilling !== undefined) {
    report(
      'INVALID_VALUE',
      [...path, 'unifiedBilling'],
      'applies only with keys: stored; remove it',
      true,
    );
  }
  const secretKeys = freezeRecord(
    Object.fromEntries(
      Object.entries(keys ?? {}).map(([provider, key]) => [provider, new Secret(key as string)]),
    ),
  );
  return token === undefined
    ? { mode: 'provider-keys', keys: secretKeys }
    : { mode: 'provider-keys+token', token: new Secret(token), keys: secretKeys };
}

function compileRestAuth(options: {
  input: CloudflareGateway;
  path: ConfigPath;
  report: ReportIssue;
}): GatewayAuth | undefined {
  const { path, report } = options;
  const { token, keys, unifiedBilling } = options.input.auth;
  if (token === undefined) {
    report(
      'MISSING_CREDENTIAL',
      path,
      'the REST endpoint needs a Cloudflare API token (AI Gateway Read and Edit; Workers AI Read for Workers AI models): add token: ${CLOUDFLARE_API_TOKEN}',
    );
  }
  if (keys !== 'stored') {
    report(
      'INVALID_VALUE',
      [...path, 'keys'],
      'the REST endpoint sends your Cloudflare API token in Authorization, so it cannot carry provider keys: store them in the gateway and write keys: stored (add unifiedBilling: true to let Cloudflare bill credits), or use endpoint: compat',
    );
  }
  if (keys !== 'stored' || token === undefined) return undefined;
  return { mode: 'api-token', token: new Secret(token), unifiedBilling: unifiedBilling === true };
}

/**
 * Checks an upstream's model string on a Cloudflare gateway: `provider/model`, the REST
 * endpoint's rules, a key for its provider. Returns the provider, or undefined when the model
 * string has none.
 */
export function checkCloudflareUpstream(
  options: CheckUpstreamOptions,
): { readonly provider: string } | undefined {
  const { name, model, modelPath, gateway, report } = options;
  const provider = cloudflareProvider(model);
  if (provider === undefined) {
    report(
      'INVALID_VALUE',
      modelPath,
      `Cloudflare models are provider/model (e.g. openai/gpt-4o-mini, workers-ai/@cf/meta/llama-3.1-8b-instruct); got "${model}"`,
    );
    return undefined;
  }
  if (gateway.cloudflare?.endpoint === 'rest') checkRestModel({ ...options, provider });
  const auth = gateway.auth;
  if (auth.mode !== 'provider-keys' && auth.mode !== 'provider-keys+token') return { provider };
  if (provider === 'dynamic') {
    report(
      'MISSING_CREDENTIAL',
      modelPath,
      `upstream "${name}" uses a dynamic route, which needs keys stored in Cloudflare: set auth.keys: stored (with auth.token) on gateway "${gateway.name}"`,
    );
  } else if (!Object.hasOwn(auth.keys, provider)) {
    report(
      'MISSING_CREDENTIAL',
      modelPath,
      `upstream "${name}" needs a key for provider "${provider}" on gateway "${gateway.name}": add ${provider}: \${${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY} under its auth.keys (keys there: ${listNames(Object.keys(auth.keys))}), or use keys: stored`,
    );
  }
  return { provider };
}

function checkRestModel(options: CheckUpstreamOptions & { provider: string }): void {
  const { name, model, modelPath, gateway, provider, report } = options;
  const needsGatewayId =
    provider === 'dynamic' ? 'a dynamic route' : provider === '@cf' ? 'a Workers AI model' : '';
  if (provider === 'workers-ai' && model.startsWith('workers-ai/@cf/')) {
    report(
      'INVALID_VALUE',
      modelPath,
      `the REST endpoint names Workers AI models @cf/... (workers-ai/@cf/... is the compat form): write "${model.slice('workers-ai/'.length)}"`,
    );
  } else if (needsGatewayId !== '' && gateway.cloudflare?.gatewayId === undefined) {
    report(
      'INVALID_VALUE',
      modelPath,
      `upstream "${name}" uses ${needsGatewayId}, which the REST endpoint serves only with cf-aig-gateway-id: add gatewayId to gateway "${gateway.name}" (gatewayId: default for the default gateway)`,
    );
  }
}

/** What the emulator enforces for one Cloudflare gateway (its shape matches the emulator's options). */
export type CloudflareEmulation = {
  /** The gateway token the emulator requires in `cf-aig-authorization`. */
  readonly token?: string;
  /** Providers whose keys the emulated gateway holds. */
  readonly storedKeys?: readonly string[];
  /** Whether the emulated gateway bills Unified Billing credits without a stored key. */
  readonly unifiedBilling?: boolean;
};

/** How the emulator names a Cloudflare gateway: `accountId/gatewayId` (`default` when none is set). */
export function cloudflareEmulatorKey(gateway: GatewayRoute): string {
  const location = gateway.cloudflare;
  return location === undefined
    ? 'accountId/gatewayId'
    : `${location.accountId}/${location.gatewayId ?? 'default'}`;
}

/**
 * What the emulator needs to accept exactly what the real gateways of a config would: each
 * Cloudflare gateway's rules by `accountId/gatewayId` (`default` when none is named), and the
 * REST API tokens.
 */
export function cloudflareEmulation(options: {
  gateways: Readonly<Record<string, GatewayRoute>>;
  upstreams: Readonly<Record<string, UpstreamRoute>>;
}): { gateways: Record<string, CloudflareEmulation>; apiTokens: string[] } {
  const gateways: Record<string, CloudflareEmulation> = {};
  const apiTokens = new Set<string>();
  for (const gateway of Object.values(options.gateways)) {
    const location = gateway.cloudflare;
    if (gateway.auth.mode === 'api-token') apiTokens.add(gateway.auth.token.reveal());
    if (gateway.type !== 'cloudflare' || location === undefined) continue;
    const key = cloudflareEmulatorKey(gateway);
    const auth = gateway.auth;
    const providers = Object.values(options.upstreams)
      .filter((upstream) => upstream.gateway === gateway.name && upstream.provider !== undefined)
      .map((upstream) => upstream.provider as string)
      .filter((provider) => provider !== 'dynamic' && provider !== '@cf');
    gateways[key] =
      auth.mode === 'stored-keys' || auth.mode === 'api-token'
        ? {
            ...(auth.mode === 'stored-keys' ? { token: auth.token.reveal() } : {}),
            storedKeys: [...new Set(providers)],
            unifiedBilling: auth.unifiedBilling,
          }
        : auth.mode === 'provider-keys+token'
          ? { token: auth.token.reveal() }
          : {};
  }
  return { gateways, apiTokens: [...apiTokens] };
}
