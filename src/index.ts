/**
 * Switchyard's public API. Everything a user imports is named here; nothing else is public.
 */

export type { SwitchyardConfig as Config } from './config/config.generated.ts';
export type { ConfigEnv } from './config/interpolate-env.ts';
// Config: load → parse → validate → compile.
export { type LoadConfigOptions, loadConfig } from './config/load-config.ts';
export { type ParseConfigOptions, parseConfig } from './config/parse-config.ts';
export type {
  AliasRoute,
  AuthMode,
  ErrorAction,
  ErrorClass,
  GatewayAuth,
  GatewayRoute,
  GatewayType,
  RetryPolicy,
  RouteTable,
  TargetOptions,
  Timeouts,
  UpstreamRoute,
} from './config/route-table.ts';
export type { YamlLimits } from './config/yaml-source.ts';
// Errors.
export {
  ConfigError,
  type ConfigErrorOptions,
  type ConfigIssue,
  type ConfigIssueCode,
  isRouterError,
  RouterError,
  type RouterErrorCode,
  type RouterErrorOptions,
} from './errors.ts';
export { Secret } from './secret.ts';
