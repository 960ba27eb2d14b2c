/**
 * The public API: the core entry point exports exactly the names docs/api.md lists, and every
 * migration CHANGELOG.md gives for a removed name reaches the same type (checked by
 * `npm run typecheck`: each `Expect<Equal<…>>` fails to compile when the two drift apart).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  AliasRoute,
  AuthMode,
  ErrorAction,
  GatewayAuth,
  GatewayRoute,
  GatewayType,
  ModelKind,
  RetryPolicy,
  TargetOptions,
  Timeouts,
  UpstreamRoute,
} from '../src/config/route-table.ts';
import type { ConfigCheckResult, ConfigWatcher } from '../src/config/watch-config.ts';
import type { AllTargetsFailedReason, ConfigErrorOptions } from '../src/errors.ts';
import type {
  AllTargetsFailedError,
  ConfigError,
  ErrorClass,
  HealthStore,
  Plan,
  RouteInfo,
  Router,
  RouterHooks,
  RouterOptions,
  RouterRequestOptions,
  RouteTable,
} from '../src/index.ts';
import * as api from '../src/index.ts';
import type { HealthTicket, SyncHealthStore } from '../src/router/health-memory.ts';
import type { RedisHealthStore } from '../src/router/health-redis.ts';
import type {
  AttemptState,
  CallContext,
  ChatParams,
  FailureState,
  FallbackState,
  Fetch,
  PlanTarget,
  RetryState,
  SuccessState,
  TokenUsage,
} from '../src/router/types.ts';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type HookState<K extends keyof RouterHooks> = Parameters<NonNullable<RouterHooks[K]>>[0];

/** Each migration of CHANGELOG.md, against the type it replaces. */
type Migrations = [
  Expect<Equal<RouteTable['gateways'][string], GatewayRoute>>,
  Expect<Equal<RouteTable['upstreams'][string], UpstreamRoute>>,
  Expect<Equal<RouteTable['aliases'][string], AliasRoute>>,
  Expect<Equal<RouteTable['gateways'][string]['auth'], GatewayAuth>>,
  Expect<Equal<RouteTable['gateways'][string]['auth']['mode'], AuthMode>>,
  Expect<Equal<RouteTable['gateways'][string]['type'], GatewayType>>,
  Expect<Equal<NonNullable<RouteTable['upstreams'][string]['kind']>, ModelKind>>,
  Expect<Equal<RouteTable['upstreams'][string]['options'], TargetOptions>>,
  Expect<Equal<RouteTable['defaults']['retry'], RetryPolicy>>,
  Expect<Equal<RouteTable['defaults']['timeouts'], Timeouts>>,
  Expect<Equal<RouteTable['defaults']['policy'][ErrorClass], ErrorAction>>,
  Expect<Equal<ReturnType<typeof api.watchConfig>, ConfigWatcher>>,
  Expect<Equal<ReturnType<ReturnType<typeof api.watchConfig>['check']>, ConfigCheckResult>>,
  Expect<Equal<ConstructorParameters<typeof ConfigError>[0], ConfigErrorOptions>>,
  Expect<Equal<HookState<'onAttempt'>, AttemptState>>,
  Expect<Equal<HookState<'onRetry'>, RetryState>>,
  Expect<Equal<HookState<'onFallback'>, FallbackState>>,
  Expect<Equal<HookState<'onSuccess'>, SuccessState>>,
  Expect<Equal<HookState<'onFailure'>, FailureState>>,
  Expect<Equal<NonNullable<RouterRequestOptions['context']>, CallContext>>,
  Expect<Equal<NonNullable<RouterOptions['fetch']>, Fetch>>,
  Expect<Equal<Plan['targets'][number], PlanTarget>>,
  Expect<Equal<NonNullable<RouteInfo['usage']>, TokenUsage>>,
  Expect<Equal<Awaited<ReturnType<HealthStore['acquire']>>, HealthTicket>>,
  Expect<Equal<ReturnType<typeof api.createHealthMemory>, SyncHealthStore>>,
  Expect<Equal<ReturnType<typeof api.createRedisHealth>, RedisHealthStore>>,
  Expect<Equal<AllTargetsFailedError['reason'], AllTargetsFailedReason>>,
  Expect<Equal<Parameters<Router['chat']['completions']['create']>[0], ChatParams>>,
];

describe('the public API', () => {
  it('gives a migration for each removed name that reaches the same type', () => {
    // Compiles only while every row of Migrations is `true`.
    const checked: Migrations[number] = true;
    expect(checked).toBe(true);
  });

  it('exports at runtime exactly the functions and classes docs/api.md lists', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AllTargetsFailedError',
      'ConfigError',
      'RouterError',
      'Secret',
      'StreamInterruptedError',
      'UnknownAliasError',
      'createHealthMemory',
      'createRedisHealth',
      'createRouter',
      'isRouterError',
      'loadConfig',
      'parseConfig',
      'watchConfig',
    ]);
  });

  it('names every export in docs/api.md, and nothing more', () => {
    const index = readFileSync(new URL('../src/index.ts', import.meta.url), 'utf8');
    const exported = [
      ...index.matchAll(/^\s*(?:type\s+)?([A-Za-z]+)(?: as ([A-Za-z]+))?,?$/gm),
      ...index.matchAll(/export (?:type )?\{ ([^}]+) \}/g),
    ]
      .flatMap((match) =>
        match[0].includes('{')
          ? (match[1] ?? '').split(',').map((name) => name.replace(/^\s*type\s+/, '').trim())
          : [match[2] ?? match[1] ?? ''],
      )
      .map((name) => name.replace(/^.* as /, ''))
      .filter((name) => name !== '');
    const docs = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const listed = docs.slice(docs.indexOf('- functions:'), docs.indexOf('Shapes reachable'));
    const names = [...listed.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]);
    expect(new Set(exported)).toEqual(new Set(names));
    expect(names).toHaveLength(30);
  });
});
