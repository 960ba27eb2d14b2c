/**
 * Switchyard's public API. Everything a user imports is named here; nothing else is public.
 * The list is short on purpose: what a program calls, the errors it catches, the types it
 * writes down. Shapes reachable from these (a hook's state object, a compiled alias, an error
 * constructor's options) are read through them: `Parameters<NonNullable<RouterHooks['onRetry']>>[0]`,
 * `RouteTable['aliases'][string]`. CHANGELOG.md lists what was removed and how to migrate.
 */

// Config: load → parse → validate → compile into a frozen, read-only route table.
export type { SwitchyardConfig as Config } from './config/config.generated.ts';
export { loadConfig } from './config/load-config.ts';
export { parseConfig } from './config/parse-config.ts';
export type { ErrorClass, RouteTable } from './config/route-table.ts';
// Hot reload (Node only, like loadConfig).
export { watchConfig } from './config/watch-config.ts';
// Errors: one base and one guard; match on `code`.
export {
  AllTargetsFailedError,
  type AttemptRecord,
  ConfigError,
  type ConfigIssue,
  type ConfigIssueCode,
  isRouterError,
  RouterError,
  type RouterErrorCode,
  StreamInterruptedError,
  UnknownAliasError,
} from './errors.ts';
// Router: resolve → execute. The route of a result: `.withRoute()` on what a call returns.
export { createRouter } from './router/create-router.ts';
export { createHealthMemory, type HealthStore } from './router/health-memory.ts';
// Loads the optional peer dependency @redis/client only when a store is created from a URL.
export { createRedisHealth } from './router/health-redis.ts';
// Tracing: the seam only; the OpenTelemetry implementation is `switchyard-ai/otel`.
export type { RouterTracing } from './router/tracing.ts';
export type {
  ModelName,
  Plan,
  RouteInfo,
  Router,
  RouterHooks,
  RouterOptions,
  RouterRequestOptions,
  SwitchyardAliases,
} from './router/types.ts';
// Credentials in a route table print as [redacted].
export { Secret } from './secret.ts';

// Intentionally not exported: the compiled table's inner shapes (read them through
// `RouteTable`), the options types of functions and error constructors, hook state objects,
// the client pool, plan resolver, adapters and classification
// (src/router, src/gateways, src/internal). The gateway emulator has its own entry point,
// `switchyard-ai/emulator`.
