/**
 * Type drift: the exported `Config` type is generated from the JSON Schema, and the compiled
 * types (route-table.ts) name the same gateway types, error classes and actions. This file fails
 * `npm run typecheck` when they drift apart; the runtime tests check that the typed literal is
 * also valid against the schema itself.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../src/config/compile-config.ts';
import type {
  Action,
  Attribution,
  CloudflareOptions,
  Gateway,
  OpenrouterRouting,
  Policy,
  VercelRouting,
} from '../src/config/config.generated.ts';
import type { ErrorAction, GatewayType, TargetOptions } from '../src/config/route-table.ts';
import { validateConfig } from '../src/config/validate-config.ts';
import type { Config, ErrorClass, RouteTable } from '../src/index.ts';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// The compiled types name exactly what the schema allows.
type GatewayTypesMatch = Expect<Equal<GatewayType, Gateway['type']>>;
type ErrorClassesMatch = Expect<Equal<ErrorClass, keyof Policy>>;
type ActionsMatch = Expect<Equal<ErrorAction, Action>>;
// Every Cloudflare option, and routing/attribution, has a compiled counterpart (durations renamed
// with their unit).
type CompiledName<K> = K extends 'cacheTtl'
  ? 'cacheTtlSeconds'
  : K extends 'requestTimeout'
    ? 'requestTimeoutMs'
    : K extends 'retryDelay'
      ? 'retryDelayMs'
      : K;
type CloudflareOptionsMatch = Expect<
  Equal<CompiledName<keyof CloudflareOptions> | 'routing' | 'attribution', keyof TargetOptions>
>;
type AttributionMatches = Expect<
  Equal<keyof Attribution, keyof NonNullable<TargetOptions['attribution']>>
>;
// The compiled table keeps `defaults.gateway` a plain name.
type DefaultGatewayIsName = Expect<Equal<RouteTable['defaults']['gateway'], string | undefined>>;

/** Each element only type-checks as `true` while the types above agree. */
const typeChecks: [
  GatewayTypesMatch,
  ErrorClassesMatch,
  ActionsMatch,
  CloudflareOptionsMatch,
  AttributionMatches,
  DefaultGatewayIsName,
] = [true, true, true, true, true, true];

/** A config using every key of the schema, typed as the public `Config`. */
const full = {
  $schema: './schema/config.schema.json',
  version: 1,
  gateways: {
    edge: {
      type: 'cloudflare',
      accountId: 'acct',
      gatewayId: 'gw',
      baseURL: 'https://gateway.ai.cloudflare.com',
      headers: { 'x-team': 'search' },
      auth: { token: 'aig', keys: { openai: 'sk', groq: 'gsk' } },
      options: {
        cacheTtl: '5m',
        skipCache: false,
        cacheKey: 'k',
        metadata: { app: 'search', build: 42, canary: false },
        collectLog: true,
        collectLogPayload: false,
        requestTimeout: 30_000,
        maxAttempts: 2,
        retryDelay: '500ms',
        backoff: 'exponential',
        eventId: 'evt',
        customCost: { perTokenIn: 0.000001, perTokenOut: 0.000002 },
        byokAlias: 'default',
        zdr: false,
      },
    },
    byok: {
      type: 'cloudflare',
      accountId: 'acct',
      gatewayId: 'byok',
      auth: { token: 'aig', keys: 'stored', unifiedBilling: false },
    },
    vercel: {
      type: 'vercel',
      apiKey: 'vck',
      baseURL: 'https://ai-gateway.vercel.sh/v1',
      headers: { 'x-team': 'search' },
      options: {
        routing: {
          order: ['bedrock'],
          only: ['bedrock', 'anthropic'],
          models: ['openai/gpt-4o'],
          sort: 'cost',
        },
        attribution: { url: 'https://example.com', title: 'Example' },
      },
    },
    openrouter: {
      type: 'openrouter',
      apiKey: 'sk-or',
      baseURL: 'https://openrouter.ai/api/v1',
      options: {
        routing: {
          order: ['openai'],
          only: ['openai', 'azure'],
          ignore: ['deepinfra'],
          allowFallbacks: true,
          requireParameters: false,
          dataCollection: 'deny',
          zdr: false,
          sort: 'price',
          quantizations: ['fp8'],
        },
        attribution: { title: 'Example' },
      },
    },
    local: {
      type: 'openai-compatible',
      baseURL: 'http://127.0.0.1:11434/v1',
      apiKey: 'none',
      headers: { 'x-team': 'search' },
    },
  },
  upstreams: {
    gpt: {
      gateway: 'edge',
      model: 'openai/gpt-4o-mini',
      params: { temperature: 0.2 },
      options: { cacheTtl: 60_000, metadata: { tier: 'free' } },
    },
    claude: { gateway: 'byok', model: 'anthropic/claude-sonnet-4-5' },
    mini: {
      gateway: 'openrouter',
      model: 'openai/gpt-4o-mini',
      options: { routing: { sort: 'latency' } },
    },
  },
  models: {
    fast: {
      targets: ['gpt', 'mini', 'local:llama3.2'],
      retry: { attempts: 3, initialDelay: '250ms', maxDelay: '8s', factor: 2, jitter: true },
      timeout: { total: '30s', attempt: '10s', firstToken: '5s', idle: '15s' },
      policy: { rate_limit: 'retry', auth: 'fallback', bad_request: 'fail' },
      options: { skipCache: true },
      params: { max_tokens: 512 },
    },
    smart: 'claude',
    best: { targets: ['smart', 'fast'], timeout: '60s' },
  },
  defaults: {
    retry: { attempts: 2 },
    timeout: 60_000,
    policy: { server: 'retry' },
    gateway: 'local',
  },
} satisfies Config;

// Misspelt or misplaced keys do not type-check.
const misspeltTopLevel: Config = {
  version: 1,
  gateways: {},
  models: {},
  // @ts-expect-error `defualts` is not a key of Config
  defualts: {},
};
const misspeltRetry: Config['models'] = {
  // @ts-expect-error `atempts` is not a key of retry
  fast: { targets: ['a'], retry: { atempts: 3 } },
};
const unknownGatewayType: Config['gateways'] = {
  // @ts-expect-error `azure` is not a gateway type
  g: { type: 'azure', apiKey: 'k' },
};
const cloudflareWithApiKey: Config['gateways'] = {
  // @ts-expect-error Cloudflare gateways take auth, not apiKey
  g: { type: 'cloudflare', accountId: 'a', gatewayId: 'g', auth: { keys: 'stored' }, apiKey: 'k' },
};
const wrongAction: Config['models'] = {
  // @ts-expect-error `skip` is not an action
  fast: { targets: ['a'], policy: { auth: 'skip' } },
};
// @ts-expect-error a Vercel routing has no OpenRouter-only keys
const vercelRoutingWithIgnore: VercelRouting = { ignore: ['x'] };
// @ts-expect-error `dataCollection` is allow or deny
const badDataCollection: OpenrouterRouting = { dataCollection: 'maybe' };

describe('the Config type', () => {
  it('describes configs the schema accepts: the typed literal is valid', () => {
    expect(validateConfig(full)).toEqual([]);
  });

  it('compiles, using every gateway type and every Cloudflare auth mode', () => {
    const compiled = compileConfig({ config: full });
    expect(compiled.ok ? [] : compiled.issues).toEqual([]);
    if (!compiled.ok) return;
    expect(Object.values(compiled.table.gateways).map((gateway) => gateway.auth.mode)).toEqual([
      'provider-keys+token',
      'stored-keys',
      'bearer',
      'bearer',
      'bearer',
    ]);
    expect(compiled.table.aliases['best']?.targets).toEqual([
      'claude',
      'gpt',
      'mini',
      'local:llama3.2',
    ]);
  });

  it('holds the type-level checks (they fail npm run typecheck, not this test)', () => {
    expect(typeChecks).toEqual([true, true, true, true, true, true]);
  });

  it('is rejected at run time where the types reject it', () => {
    const { vercel, openrouter } = full.gateways;
    const routedVercel = { ...vercel, options: { routing: vercelRoutingWithIgnore } };
    expect(validateConfig({ ...full, gateways: { vercel: routedVercel } })).not.toEqual([]);
    const routedOpenrouter = { ...openrouter, options: { routing: badDataCollection } };
    expect(validateConfig({ ...full, gateways: { openrouter: routedOpenrouter } })).not.toEqual([]);
    expect(validateConfig(misspeltTopLevel).map((issue) => issue.code)).toContain(
      'SCHEMA_UNKNOWN_KEY',
    );
    expect(validateConfig({ ...full, models: misspeltRetry }).map((issue) => issue.code)).toContain(
      'SCHEMA_UNKNOWN_KEY',
    );
    expect(validateConfig({ ...full, gateways: unknownGatewayType })).not.toEqual([]);
    expect(validateConfig({ ...full, gateways: cloudflareWithApiKey })).not.toEqual([]);
    expect(validateConfig({ ...full, models: wrongAction })).not.toEqual([]);
  });
});
