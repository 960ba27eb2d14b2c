/**
 * Switchyard's public API. Everything a user imports is named here; nothing else is public.
 */

// Config: load → parse → validate → compile into a frozen route table.
export type { SwitchyardConfig as Config } from './config/config.generated.ts';
export type { ConfigEnv } from './config/interpolate-env.ts';
export { type LoadConfigOptions, loadConfig } from './config/load-config.ts';
export {
  type MissingEnvVariable,
  type ParseConfigOptions,
  parseConfig,
} from './config/parse-config.ts';
export type {
  AliasRoute,
  AuthMode,
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
} from './config/route-table.ts';
// Hot reload (Node only, like loadConfig).
export {
  type ConfigCheckResult,
  type ConfigReloadErrorState,
  type ConfigReloadState,
  type ConfigWatcher,
  type WatchConfigOptions,
  watchConfig,
} from './config/watch-config.ts';
export type { YamlLimits } from './config/yaml-source.ts';
// Errors.
export {
  AllTargetsFailedError,
  type AllTargetsFailedErrorOptions,
  type AllTargetsFailedReason,
  type AttemptRecord,
  ConfigError,
  type ConfigErrorOptions,
  type ConfigIssue,
  type ConfigIssueCode,
  isRouterError,
  RouterError,
  type RouterErrorCode,
  type RouterErrorOptions,
  StreamInterruptedError,
  type StreamInterruptedErrorOptions,
  UnknownAliasError,
  type UnknownAliasErrorOptions,
} from './errors.ts';
// Router: resolve → execute.
export { createRouter, routeOf } from './router/create-router.ts';
export {
  createHealthMemory,
  type HealthMemoryOptions,
  type HealthStore,
  type HealthTicket,
  type SyncHealthStore,
} from './router/health-memory.ts';
// Loads the optional peer dependency @redis/client only when a store is created from a URL.
export {
  createRedisHealth,
  type RedisCommandClient,
  type RedisHealthOptions,
  type RedisHealthStore,
} from './router/health-redis.ts';
// Tracing: the seam only; the OpenTelemetry implementation is `switchyard-ai/otel`.
export type {
  CallTrace,
  RouterTracing,
  TraceAttempt,
  TraceCallEnd,
  TraceCallStart,
} from './router/tracing.ts';
export type {
  AttemptState,
  CallContext,
  ChatParams,
  FailureState,
  FallbackState,
  Fetch,
  ModelName,
  Plan,
  PlanTarget,
  RetryState,
  RouteInfo,
  Router,
  RouterHooks,
  RouterOptions,
  RouterPromise,
  RouterRequestOptions,
  SuccessState,
  SwitchyardAliases,
  TokenUsage,
} from './router/types.ts';
// Credentials in a route table print as [redacted].
export { Secret } from './secret.ts';

// Intentionally not exported: the client pool, plan resolver, adapters and classification
// (src/router, src/gateways, src/internal) are implementation. The gateway emulator has its
// own entry point, `switchyard-ai/emulator`.
