/**
 * Compile step: a schema-valid config → a frozen {@link RouteTable}. Resolves references,
 * rejects fallback cycles and duplicate targets, checks Cloudflare credentials, parses
 * durations and cascades defaults. Problems use the same issue shape as the schema checks.
 */
import type { ConfigIssue, ConfigIssueCode } from '../errors.ts';
import { routingKeys, sortFits, sortValues } from '../gateways/routing.ts';
import { createNameIndex, didYouMeanHint, listNames } from '../internal/did-you-mean.ts';
import { Secret } from '../secret.ts';
import { shareAttemptMs } from './attempt-share.ts';
import { headerValueProblem } from './check-header-value.ts';
import { compileHealth } from './compile-health.ts';
import { compileServe } from './compile-serve.ts';
import { compileStrategy, splitTargets } from './compile-strategy.ts';
import type {
  Alias,
  CloudflareGateway,
  Duration,
  Gateway,
  SwitchyardConfig,
  TargetOptions as TargetOptionsInput,
  Timeout,
  Upstream,
} from './config.generated.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { resolveChains } from './resolve-chains.ts';
import type {
  AliasRoute,
  CloudflareLocation,
  ErrorAction,
  ErrorClass,
  GatewayAuth,
  GatewayRoute,
  GatewayType,
  ModelKind,
  RetryPolicy,
  RouteTable,
  TargetOptions,
  Timeouts,
  UpstreamRoute,
} from './route-table.ts';

/** A compile problem before it is given a source position. */
export type CompileIssue = Omit<ConfigIssue, 'line' | 'column'> & { readonly atKey?: boolean };

/** Result of {@link compileConfig}. */
export type CompileResult =
  | { readonly ok: true; readonly table: RouteTable }
  | { readonly ok: false; readonly issues: CompileIssue[] };

/** Options of {@link compileConfig}. */
export type CompileConfigOptions = {
  /** A schema-valid config. */
  config: SwitchyardConfig;
  /** Where it came from, kept in the table. @default '<config>' */
  source?: string;
};

/** Public endpoints, used when a gateway sets no `baseURL`. */
export const defaultBaseURLs: Readonly<Record<GatewayType, string>> = Object.freeze({
  cloudflare: 'https://gateway.ai.cloudflare.com',
  vercel: 'https://ai-gateway.vercel.sh/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  'openai-compatible': '',
});

/** The origin of Cloudflare's REST API, used by `endpoint: rest` gateways without a `baseURL`. */
export const cloudflareRestOrigin = 'https://api.cloudflare.com';

/** Built-in retry policy; `defaults.retry` and each alias's `retry` override it field by field. */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 2,
  initialDelayMs: 250,
  maxDelayMs: 8000,
  factor: 2,
  jitter: true,
});

/** Built-in time limits. */
export const defaultTimeouts: Timeouts = Object.freeze({
  totalMs: 60_000,
  attemptMs: 60_000,
  idleMs: 30_000,
});

/**
 * Built-in action per error class. 400, 401, 403, 404 and 422 are never retried on the same
 * target. A problem of one gateway or model (auth, not found, the gateway's own refusal, money,
 * a body that is not an answer) moves on; a bad request or a content filter would fail the same
 * way everywhere, so it stops.
 */
export const defaultPolicy: Readonly<Record<ErrorClass, ErrorAction>> = Object.freeze({
  rate_limit: 'retry',
  server: 'retry',
  timeout: 'retry',
  network: 'retry',
  auth: 'fallback',
  not_found: 'fallback',
  bad_request: 'fail',
  context_length: 'fallback',
  content_filter: 'fail',
  interrupted_stream: 'fallback',
  gateway: 'fallback',
  payment: 'fallback',
  invalid_response: 'fallback',
});

const cloudflareOptionKeys = new Set([
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
const reservedParams = new Set(['model', 'messages', 'stream', 'input']);
const reservedHeaders = new Set(['authorization', 'cf-aig-authorization']);

/** Compiles a schema-valid config; returns every semantic problem found, or the frozen table. */
export function compileConfig(options: CompileConfigOptions): CompileResult {
  const { config } = options;
  const issues: CompileIssue[] = [];
  const report = (
    code: ConfigIssueCode,
    path: (string | number)[],
    message: string,
    atKey = false,
  ) => {
    issues.push({ code, path, message, atKey });
  };

  const gatewayInputs = entriesOf(config.gateways);
  const gatewayNames = gatewayInputs.map(([name]) => name);
  const gateways = new Map<string, GatewayRoute>();
  for (const [name, input] of gatewayInputs) {
    const gateway = compileGateway({ name, input: input as Gateway, report });
    if (gateway !== undefined) gateways.set(name, gateway);
  }

  const upstreams = new Map<string, UpstreamRoute>();
  const gatewayIndex = createNameIndex(gatewayNames);
  for (const [name, input] of entriesOf(config.upstreams ?? {})) {
    const path = ['upstreams', name];
    const upstream = input as Upstream;
    const gateway = gateways.get(upstream.gateway);
    if (gateway === undefined) {
      if (!gatewayNames.includes(upstream.gateway)) {
        report(
          'UNKNOWN_REFERENCE',
          [...path, 'gateway'],
          `unknown gateway "${upstream.gateway}"${didYouMeanHint(upstream.gateway, gatewayIndex)}; gateways: ${listNames(gatewayNames)}`,
        );
      }
      continue;
    }
    const compiled = compileUpstream({
      name,
      path,
      gateway,
      model: upstream.model,
      input: upstream,
      report,
    });
    if (compiled !== undefined) upstreams.set(name, compiled);
  }

  const defaults = compileDefaults({ config, gateways: gatewayNames, report });
  const health = compileHealth({ input: config.health, report });
  const aliasInputs = new Map(
    entriesOf(config.models).map(([name, input]) => [name, normalizeAlias(input)]),
  );
  const chains = resolveChains({
    aliases: aliasInputs,
    upstreams: new Set(entriesOf(config.upstreams ?? {}).map(([name]) => name)),
    gateways,
    gatewayNames,
    report,
  });

  const aliases = new Map<string, AliasRoute>();
  for (const [name, input] of aliasInputs) {
    const chain = chains.get(name);
    if (chain === undefined) continue;
    for (const target of chain) {
      if (!upstreams.has(target.name) && target.inline !== undefined) {
        const gateway = gateways.get(target.inline.gateway);
        if (gateway === undefined) continue;
        const compiled = compileUpstream({
          name: target.name,
          path: [...target.path],
          gateway,
          model: target.inline.model,
          input: {},
          report,
        });
        if (compiled !== undefined) upstreams.set(target.name, compiled);
      }
    }
    const path = ['models', name];
    const targetGateways = chain
      .map((target) => gateways.get(upstreams.get(target.name)?.gateway ?? ''))
      .filter((gateway) => gateway !== undefined);
    const aliasOptions = compileTargetOptions({
      input: input.alias.options,
      path: input.shorthand ? path : [...path, 'options'],
      types: targetGateways.map((gateway) => gateway.type),
      scope: `alias "${name}"`,
      report,
    });
    const retry = cascadeRetry({
      base: defaults.retry,
      input: input.alias.retry,
      path: [...path, 'retry'],
      report,
    });
    const cascaded = cascadeTimeouts({
      base: defaults.timeouts,
      input: input.alias.timeout,
      path: [...path, 'timeout'],
      report,
    });
    // Without an explicit attempt limit, each try gets its share of the deadline, so every
    // target of the chain is reached even when each try before it hangs.
    const attemptSet = [input.alias.timeout, config.defaults?.timeout].some(
      (timeout) => typeof timeout === 'object' && timeout.attempt !== undefined,
    );
    const timeouts = attemptSet
      ? cascaded
      : Object.freeze({
          ...cascaded,
          attemptMs: shareAttemptMs({ totalMs: cascaded.totalMs, retry, targets: chain.length }),
        });
    const policy =
      input.alias.policy === undefined
        ? defaults.policy
        : (freezeRecord({ ...defaults.policy, ...input.alias.policy }) as Record<
            ErrorClass,
            ErrorAction
          >);
    const params = compileParams({ input: input.alias.params, path: [...path, 'params'], report });
    for (const target of chain) {
      const upstream = upstreams.get(target.name);
      const gateway = gateways.get(upstream?.gateway ?? '');
      if (upstream === undefined || gateway === undefined) continue;
      const metadata = {
        ...gateway.options.metadata,
        ...upstream.options.metadata,
        ...aliasOptions.metadata,
      };
      if (Object.keys(metadata).length > 5) {
        report(
          'INVALID_VALUE',
          [...path, 'options', 'metadata'],
          `metadata for upstream "${upstream.name}" has ${Object.keys(metadata).length} entries after merging gateway, upstream and alias; Cloudflare keeps at most 5`,
        );
      }
    }
    const weights = compileStrategy({
      name,
      strategy: input.alias.strategy,
      weights: input.weights,
      chain: chain.map((target) => ({
        name: target.name,
        index: typeof target.path[3] === 'number' ? target.path[3] : 0,
      })),
      report,
    });
    const kinds = new Set(chain.flatMap((target) => upstreams.get(target.name)?.kind ?? []));
    if (kinds.size > 1) {
      const byKind = (kind: ModelKind) =>
        chain
          .filter((target) => upstreams.get(target.name)?.kind === kind)
          .map((target) => target.name);
      report(
        'INVALID_VALUE',
        input.shorthand ? path : [...path, 'targets'],
        `alias "${name}" mixes chat upstreams (${listNames(byKind('chat'))}) and embeddings upstreams (${listNames(byKind('embeddings'))}); a fallback chain serves one kind: split it into two aliases`,
      );
    }
    const [aliasKind] = kinds;
    aliases.set(
      name,
      Object.freeze({
        name,
        ...(aliasKind === undefined ? {} : { kind: aliasKind }),
        targets: Object.freeze(chain.map((target) => target.name)),
        ...(weights === undefined ? {} : { strategy: 'weighted' as const, weights }),
        retry,
        timeouts,
        policy,
        options: aliasOptions,
        params,
      }),
    );
  }

  if (issues.length > 0) return { ok: false, issues };
  const table: RouteTable = {
    version: 1,
    source: options.source ?? '<config>',
    gateways: freezeRecord(Object.fromEntries(gateways)),
    upstreams: freezeRecord(Object.fromEntries(upstreams)),
    aliases: freezeRecord(Object.fromEntries(aliases)),
    defaults,
    ...(health === undefined ? {} : { health }),
    ...(config.serve === undefined ? {} : { serve: compileServe(config.serve) }),
  };
  // Every part was frozen as it was built (user data inside params and routing deeply).
  return { ok: true, table: Object.freeze(table) };
}

type Report = (
  code: ConfigIssueCode,
  path: (string | number)[],
  message: string,
  atKey?: boolean,
) => void;

function compileGateway(options: {
  name: string;
  input: Gateway;
  report: Report;
}): GatewayRoute | undefined {
  const { name, input, report } = options;
  const path = ['gateways', name];
  const type = input.type;
  checkCredentials({ input, path, report });
  // Null prototype: a header named `__proto__` is data, not a prototype swap.
  const headers: Record<string, Secret | string> = Object.create(null);
  for (const [header, value] of entriesOf(input.headers ?? {})) {
    if (reservedHeaders.has(header.toLowerCase())) {
      report(
        'INVALID_VALUE',
        [...path, 'headers', header],
        `header "${header}" carries credentials; set them with ${type === 'cloudflare' ? 'auth.token and auth.keys' : 'apiKey'} instead`,
        true,
      );
      continue;
    }
    checkHeaderValue({
      value,
      path: [...path, 'headers', header],
      what: `the value of header "${header}"`,
      report,
    });
    headers[header.toLowerCase()] = new Secret(value as string);
  }

  const rest = input.type === 'cloudflare' && input.endpoint === 'rest';
  let base = input.baseURL ?? (rest ? cloudflareRestOrigin : defaultBaseURLs[type]);
  const url = parseBaseURL({ value: base, path: [...path, 'baseURL'], report });
  if (url === undefined) return undefined;
  base = url.href.replace(/\/+$/, '');

  let auth: GatewayAuth;
  let options_: TargetOptions = freezeRecord({});
  let location: CloudflareLocation | undefined;
  if (input.type === 'cloudflare') {
    const cloudflare = input as CloudflareGateway;
    const account = encodeURIComponent(cloudflare.accountId);
    if (rest) {
      base = `${base}/client/v4/accounts/${account}/ai/v1`;
    } else if (cloudflare.gatewayId === undefined) {
      report(
        'SCHEMA_VIOLATION',
        path,
        'missing gatewayId: the compat endpoint is /v1/{accountId}/{gatewayId}/compat; add gatewayId: ${CLOUDFLARE_GATEWAY_ID} (or endpoint: rest, which can use the default gateway)',
      );
      return undefined;
    } else {
      base = `${base}/v1/${account}/${encodeURIComponent(cloudflare.gatewayId)}/compat`;
    }
    location = Object.freeze({
      accountId: cloudflare.accountId,
      ...(cloudflare.gatewayId === undefined ? {} : { gatewayId: cloudflare.gatewayId }),
      endpoint: rest ? 'rest' : 'compat',
    });
    const compiledAuth = compileCloudflareAuth({
      input: cloudflare,
      rest,
      path: [...path, 'auth'],
      report,
    });
    if (compiledAuth === undefined) return undefined;
    auth = compiledAuth;
    options_ = compileTargetOptions({
      input: cloudflare.options,
      path: [...path, 'options'],
      types: ['cloudflare'],
      scope: `gateway "${name}"`,
      report,
    });
  } else if (input.type === 'openai-compatible') {
    auth =
      input.apiKey === undefined
        ? { mode: 'bearer' }
        : { mode: 'bearer', apiKey: new Secret(input.apiKey) };
  } else {
    auth = { mode: 'bearer', apiKey: new Secret(input.apiKey) };
    options_ = compileTargetOptions({
      input: input.options,
      path: [...path, 'options'],
      types: [type],
      scope: `gateway "${name}"`,
      report,
    });
  }
  return Object.freeze({
    name,
    type,
    baseURL: base,
    origin: url.origin,
    auth: Object.freeze(auth),
    headers: freezeRecord(headers),
    options: options_,
    ...(location === undefined ? {} : { cloudflare: location }),
  });
}

/**
 * Reports a value `fetch` would refuse in a header (every call would fail inside `fetch`). The
 * message never quotes the value; parseConfig adds the variable's name when it came from one.
 */
function checkHeaderValue(options: {
  value: unknown;
  path: (string | number)[];
  what: string;
  report: Report;
}): void {
  if (typeof options.value !== 'string') return;
  const problem = headerValueProblem(options.value);
  if (problem === undefined) return;
  options.report(
    'INVALID_VALUE',
    options.path,
    `${options.what} ${problem}, which fetch refuses in a header; fix the value`,
  );
}

/** Every credential of a gateway is sent in a header (`Bearer …`): checked like one. */
function checkCredentials(options: {
  input: Gateway;
  path: (string | number)[];
  report: Report;
}): void {
  const { input, path, report } = options;
  if (input.type === 'cloudflare') {
    const { token, keys } = (input as CloudflareGateway).auth;
    checkHeaderValue({
      value: token,
      path: [...path, 'auth', 'token'],
      what: 'auth.token',
      report,
    });
    if (typeof keys === 'object' && keys !== null) {
      for (const [provider, key] of entriesOf(keys)) {
        checkHeaderValue({
          value: key,
          path: [...path, 'auth', 'keys', provider],
          what: `the key for "${provider}"`,
          report,
        });
      }
    }
    return;
  }
  checkHeaderValue({
    value: (input as { apiKey?: unknown }).apiKey,
    path: [...path, 'apiKey'],
    what: 'apiKey',
    report,
  });
}

function parseBaseURL(options: {
  value: string;
  path: (string | number)[];
  report: Report;
}): URL | undefined {
  const { value, path, report } = options;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    report('INVALID_VALUE', path, 'is not a valid URL; write e.g. https://gateway.example.com');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    report('INVALID_VALUE', path, 'must be an http:// or https:// URL');
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    report(
      'INVALID_VALUE',
      path,
      'must not contain credentials (user:password@); use apiKey, auth or headers',
    );
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') {
    report('INVALID_VALUE', path, 'must not have a query or fragment');
    return undefined;
  }
  return url;
}

function compileCloudflareAuth(options: {
  input: CloudflareGateway;
  /** The REST endpoint: a Cloudflare API token in Authorization, stored keys only. */
  rest: boolean;
  path: (string | number)[];
  report: Report;
}): GatewayAuth | undefined {
  const { input, path, report } = options;
  const { token, keys, unifiedBilling } = input.auth;
  if (options.rest) {
    let ok = true;
    if (token === undefined) {
      report(
        'MISSING_CREDENTIAL',
        path,
        'the REST endpoint needs a Cloudflare API token (Workers AI Read permission): add token: ${CLOUDFLARE_API_TOKEN}',
      );
      ok = false;
    }
    if (keys !== 'stored') {
      report(
        'INVALID_VALUE',
        [...path, 'keys'],
        'the REST endpoint sends your Cloudflare API token in Authorization, so it cannot carry provider keys: store them in the gateway and write keys: stored (add unifiedBilling: true to let Cloudflare bill credits), or use endpoint: compat',
      );
      ok = false;
    }
    if (!ok || token === undefined) return undefined;
    return { mode: 'api-token', token: new Secret(token), unifiedBilling: unifiedBilling === true };
  }
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
      entriesOf(keys ?? {}).map(([provider, key]) => [provider, new Secret(key as string)]),
    ),
  );
  return token === undefined
    ? { mode: 'provider-keys', keys: secretKeys }
    : { mode: 'provider-keys+token', token: new Secret(token), keys: secretKeys };
}

function compileUpstream(options: {
  name: string;
  path: (string | number)[];
  gateway: GatewayRoute;
  model: string;
  input: Partial<Upstream>;
  report: Report;
}): UpstreamRoute | undefined {
  const { name, path, gateway, model, input, report } = options;
  const modelPath = input.model === undefined ? path : [...path, 'model'];
  let provider: string | undefined;
  if (gateway.type === 'cloudflare') {
    provider = cloudflareProvider(model);
    if (provider === undefined) {
      report(
        'INVALID_VALUE',
        modelPath,
        `Cloudflare models are provider/model (e.g. openai/gpt-4o-mini, workers-ai/@cf/meta/llama-3.1-8b-instruct); got "${model}"`,
      );
      return undefined;
    }
    const auth = gateway.auth;
    const location = gateway.cloudflare;
    if (location?.endpoint === 'rest') {
      const needsGatewayId =
        provider === 'dynamic' ? 'a dynamic route' : provider === '@cf' ? 'a Workers AI model' : '';
      if (provider === 'workers-ai' && model.startsWith('workers-ai/@cf/')) {
        report(
          'INVALID_VALUE',
          modelPath,
          `the REST endpoint names Workers AI models @cf/... (workers-ai/@cf/... is the compat form): write "${model.slice('workers-ai/'.length)}"`,
        );
      } else if (needsGatewayId !== '' && location.gatewayId === undefined) {
        report(
          'INVALID_VALUE',
          modelPath,
          `upstream "${name}" uses ${needsGatewayId}, which the REST endpoint serves only with cf-aig-gateway-id: add gatewayId to gateway "${gateway.name}" (gatewayId: default for the default gateway)`,
        );
      }
    }
    if (auth.mode === 'provider-keys' || auth.mode === 'provider-keys+token') {
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
    }
  }
  const upstreamOptions = compileTargetOptions({
    input: input.options,
    path: [...path, 'options'],
    types: [gateway.type],
    scope: `upstream "${name}"`,
    report,
  });
  const metadataCount = Object.keys({
    ...gateway.options.metadata,
    ...upstreamOptions.metadata,
  }).length;
  if (metadataCount > 5) {
    report(
      'INVALID_VALUE',
      [...path, 'options', 'metadata'],
      `metadata has ${metadataCount} entries after merging with gateway "${gateway.name}"; Cloudflare keeps at most 5`,
    );
  }
  // Declared, else inferred from the model string: embedding models say so in their names
  // (text-embedding-3-small, mistral-embed, nomic-embed-text); anything else serves either.
  const kind = input.kind ?? (/embed/i.test(model) ? 'embeddings' : undefined);
  return Object.freeze({
    name,
    gateway: gateway.name,
    model,
    ...(kind === undefined ? {} : { kind }),
    ...(provider === undefined ? {} : { provider }),
    params: compileParams({ input: input.params, path: [...path, 'params'], report }),
    options: upstreamOptions,
  });
}

function compileParams(options: {
  input: Record<string, unknown> | undefined;
  path: (string | number)[];
  report: Report;
}) {
  // Null prototype: a body field named `__proto__` stays a field (the schema allows any name).
  const params: Record<string, unknown> = Object.create(null);
  for (const [key, value] of entriesOf(options.input ?? {})) {
    if (reservedParams.has(key)) {
      options.report(
        'INVALID_VALUE',
        [...options.path, key],
        `"${key}" is set by each request; remove it from params`,
        true,
      );
      continue;
    }
    params[key] = deepFreeze(value);
  }
  return freezeRecord(params);
}

function compileTargetOptions(options: {
  input: TargetOptionsInput | undefined;
  path: (string | number)[];
  /** Types of the gateways these options can apply to. */
  types: readonly GatewayType[];
  scope: string;
  report: Report;
}): TargetOptions {
  const { input, path, types, scope, report } = options;
  if (input === undefined) return freezeRecord({});
  const result: Record<string, unknown> = {};
  const applies = (key: string) =>
    cloudflareOptionKeys.has(key)
      ? types.includes('cloudflare')
      : types.some((type) => type === 'vercel' || type === 'openrouter');
  for (const [key, value] of entriesOf(input as Record<string, unknown>)) {
    if (!applies(key)) {
      const kinds = cloudflareOptionKeys.has(key)
        ? 'Cloudflare gateways'
        : 'Vercel and OpenRouter gateways';
      report(
        'OPTION_NOT_APPLICABLE',
        [...path, key],
        `"${key}" applies to ${kinds}, and ${scope} has none; remove it`,
        true,
      );
      continue;
    }
    const at = [...path, key];
    // Options the gateways send as headers (cf-aig-*, attribution) must be valid header values.
    if (key === 'cacheKey' || key === 'eventId' || key === 'byokAlias') {
      checkHeaderValue({ value, path: at, what: `"${key}"`, report });
    } else if (key === 'metadata' && typeof value === 'object' && value !== null) {
      for (const [entry, item] of entriesOf(value)) {
        // Sent JSON-encoded (control characters escaped): only non-Latin-1 text is refused.
        checkHeaderValue({
          value: JSON.stringify(item),
          path: [...at, entry],
          what: `metadata "${entry}"`,
          report,
        });
      }
    } else if (key === 'attribution' && typeof value === 'object' && value !== null) {
      for (const [entry, item] of entriesOf(value)) {
        checkHeaderValue({
          value: item,
          path: [...at, entry],
          what: `attribution "${entry}"`,
          report,
        });
      }
    }
    switch (key) {
      case 'cacheTtl': {
        const ms = durationIn({
          value: value as Duration,
          path: at,
          min: 60_000,
          max: 30 * 86_400_000,
          report,
        });
        if (ms !== undefined) result['cacheTtlSeconds'] = Math.floor(ms / 1000);
        break;
      }
      case 'requestTimeout': {
        const ms = durationIn({
          value: value as Duration,
          path: at,
          min: 1,
          max: 86_400_000,
          report,
        });
        if (ms !== undefined) result['requestTimeoutMs'] = ms;
        break;
      }
      case 'retryDelay': {
        const ms = durationIn({ value: value as Duration, path: at, min: 0, max: 5000, report });
        if (ms !== undefined) result['retryDelayMs'] = ms;
        break;
      }
      case 'metadata':
      case 'customCost':
      case 'attribution':
        result[key] = freezeRecord({ ...(value as object) });
        break;
      case 'routing': {
        const routing: Record<string, unknown> = {};
        for (const [routingKey, routingValue] of entriesOf(value as Record<string, unknown>)) {
          const usable = types.filter((type) => routingKeys[type].has(routingKey));
          if (usable.length === 0) {
            report(
              'OPTION_NOT_APPLICABLE',
              [...at, routingKey],
              `routing "${routingKey}" is not supported by the gateways of ${scope}`,
              true,
            );
            continue;
          }
          if (routingKey === 'sort' && !usable.some((type) => sortFits(type, routingValue))) {
            report(
              'INVALID_VALUE',
              [...at, routingKey],
              `routing sort "${String(routingValue)}" is not a value of ${usable
                .map((type) => `${type} (${[...(sortValues[type] ?? [])].join(', ')})`)
                .join(' or ')}`,
            );
            continue;
          }
          routing[routingKey] = deepFreeze(routingValue);
        }
        result['routing'] = freezeRecord(routing);
        break;
      }
      default:
        result[key] = value;
    }
  }
  return freezeRecord(result) as TargetOptions;
}

/**
 * The provider of a Cloudflare compat model string (`openai` in `openai/gpt-4o-mini`), or
 * undefined when it is not `provider/model` with both parts present.
 */
export function cloudflareProvider(model: string): string | undefined {
  const slash = model.indexOf('/');
  return slash <= 0 || slash === model.length - 1 ? undefined : model.slice(0, slash);
}

function durationIn(options: {
  value: Duration;
  path: (string | number)[];
  min: number;
  max: number;
  report: Report;
}): number | undefined {
  const ms = parseDuration(options.value);
  if (ms === undefined) {
    options.report('INVALID_VALUE', options.path, 'must be a duration such as 250ms, 20s or 5m');
    return undefined;
  }
  if (ms < options.min || ms > options.max) {
    options.report(
      'INVALID_VALUE',
      options.path,
      `must be between ${formatDuration(options.min)} and ${formatDuration(options.max)}`,
    );
    return undefined;
  }
  return ms;
}

function compileDefaults(options: {
  config: SwitchyardConfig;
  gateways: readonly string[];
  report: Report;
}): RouteTable['defaults'] {
  const { config, gateways, report } = options;
  const input = config.defaults ?? {};
  const retry = cascadeRetry({
    base: defaultRetryPolicy,
    input: input.retry,
    path: ['defaults', 'retry'],
    report,
  });
  const timeouts = cascadeTimeouts({
    base: defaultTimeouts,
    input: input.timeout,
    path: ['defaults', 'timeout'],
    report,
  });
  const policy = freezeRecord({ ...defaultPolicy, ...(input.policy ?? {}) }) as Record<
    ErrorClass,
    ErrorAction
  >;
  if (input.gateway !== undefined && !gateways.includes(input.gateway)) {
    report(
      'UNKNOWN_REFERENCE',
      ['defaults', 'gateway'],
      `unknown gateway "${input.gateway}"${didYouMeanHint(input.gateway, gateways)}; gateways: ${listNames(gateways)}`,
    );
  }
  return Object.freeze({
    retry,
    timeouts,
    policy,
    ...(input.gateway === undefined ? {} : { gateway: input.gateway }),
  });
}

function cascadeRetry(options: {
  base: RetryPolicy;
  input: Alias['retry'];
  path: (string | number)[];
  report: Report;
}): RetryPolicy {
  const { base, input, path, report } = options;
  if (input === undefined) return base;
  const hour = 3_600_000;
  const initialDelayMs =
    input.initialDelay === undefined
      ? base.initialDelayMs
      : (durationIn({
          value: input.initialDelay,
          path: [...path, 'initialDelay'],
          min: 0,
          max: hour,
          report,
        }) ?? base.initialDelayMs);
  const maxDelayMs =
    input.maxDelay === undefined
      ? base.maxDelayMs
      : (durationIn({
          value: input.maxDelay,
          path: [...path, 'maxDelay'],
          min: 0,
          max: hour,
          report,
        }) ?? base.maxDelayMs);
  if (
    input.initialDelay !== undefined &&
    input.maxDelay !== undefined &&
    initialDelayMs > maxDelayMs
  ) {
    report(
      'INVALID_VALUE',
      [...path, 'initialDelay'],
      `is longer than maxDelay (${formatDuration(maxDelayMs)}); lower it or raise maxDelay`,
    );
  }
  return Object.freeze({
    attempts: input.attempts ?? base.attempts,
    initialDelayMs,
    maxDelayMs,
    factor: input.factor ?? base.factor,
    jitter: input.jitter ?? base.jitter,
  });
}

function cascadeTimeouts(options: {
  base: Timeouts;
  input: Timeout | undefined;
  path: (string | number)[];
  report: Report;
}): Timeouts {
  const { base, input, path, report } = options;
  if (input === undefined) return base;
  const day = 86_400_000;
  const object = typeof input === 'object' ? input : { total: input };
  const at = (key: string) => (typeof input === 'object' ? [...path, key] : path);
  const read = (key: 'total' | 'attempt' | 'firstToken' | 'idle') => {
    const value = object[key];
    return value === undefined
      ? undefined
      : durationIn({ value, path: at(key), min: 1, max: day, report });
  };
  const total = read('total');
  const attempt = read('attempt');
  const firstToken = read('firstToken');
  const idle = read('idle');
  if (total !== undefined && attempt !== undefined && attempt > total) {
    report(
      'INVALID_VALUE',
      at('attempt'),
      `is longer than total (${formatDuration(total)}), so it could never fire; lower it`,
    );
  }
  const totalMs = total ?? base.totalMs;
  // An attempt limit never outlives the call's deadline.
  const attemptMs = Math.min(
    attempt ?? (total !== undefined && base.attemptMs === base.totalMs ? total : base.attemptMs),
    totalMs,
  );
  const firstTokenMs = firstToken ?? base.firstTokenMs;
  return Object.freeze({
    totalMs,
    attemptMs,
    ...(firstTokenMs === undefined ? {} : { firstTokenMs }),
    idleMs: idle ?? base.idleMs,
  });
}

type NormalizedAlias = {
  alias: Omit<Alias, 'targets'> & { targets: readonly string[] };
  shorthand: boolean;
  /** Weights written as `{ target, weight }`, by index in `targets`. */
  weights: readonly (number | undefined)[];
};

function normalizeAlias(input: unknown): NormalizedAlias {
  if (typeof input === 'string')
    return { alias: { targets: [input] }, shorthand: true, weights: [undefined] };
  const { references, weights } = splitTargets((input as Alias).targets);
  return { alias: { ...(input as Alias), targets: references }, shorthand: false, weights };
}

/** Own enumerable entries of a parsed object (never inherited ones). */
function entriesOf(record: object): [string, unknown][] {
  return Object.entries(record);
}

/** A frozen null-prototype copy, so `record[name]` never reaches `Object.prototype`. */
function freezeRecord<T extends object>(record: T): T {
  // Object.assign onto a null-prototype object defines plain data properties, `__proto__` too.
  return Object.freeze(Object.assign(Object.create(null) as T, record));
}

/** Freezes user data (params, routing lists) all the way down; shared YAML aliases are fine. */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null || Object.isFrozen(item)) continue;
    Object.freeze(item);
    for (const child of Object.values(item)) stack.push(child);
  }
  return value;
}
