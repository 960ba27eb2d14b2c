/**
 * `options:` and `params:` of a gateway, an upstream or an alias, compiled: each option checked
 * against the gateway types it can reach (each type's keys come from its gateway module),
 * durations converted, header-borne values checked, user data frozen; `params` kept clear of
 * the fields each request sets.
 */
import { byokAliasProblem } from '../gateways/cloudflare-config.ts';
import { type ConfigPath, checkHeaderValue, type ReportIssue } from '../gateways/config-issues.ts';
import { gatewayAdapters } from '../gateways/index.ts';
import { routingKeys, sortFits, sortValues } from '../gateways/routing.ts';
import { deepFreeze, freezeRecord } from '../internal/freeze.ts';
import { durationIn } from './cascade-defaults.ts';
import type { Duration, TargetOptions as TargetOptionsInput } from './config.generated.ts';
import type { GatewayType, TargetOptions } from './route-table.ts';

const reservedParams = new Set(['model', 'messages', 'stream', 'input']);

/** Options of {@link compileParams}. */
export type CompileParamsOptions = {
  input: Record<string, unknown> | undefined;
  path: ConfigPath;
  report: ReportIssue;
};

/** Body fields merged under each request's own, frozen; the fields a request sets are refused. */
export function compileParams(options: CompileParamsOptions): Readonly<Record<string, unknown>> {
  // Null prototype: a body field named `__proto__` stays a field (the schema allows any name).
  const params: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(options.input ?? {})) {
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

/** Options of {@link compileTargetOptions}. */
export type CompileTargetOptionsOptions = {
  input: TargetOptionsInput | undefined;
  path: ConfigPath;
  /** Types of the gateways these options can apply to. */
  types: readonly GatewayType[];
  /** Whose options these are, for messages (`alias "fast"`). */
  scope: string;
  report: ReportIssue;
};

/** One `options:` block, compiled; keys no gateway of `types` takes are reported. */
export function compileTargetOptions(options: CompileTargetOptionsOptions): TargetOptions {
  const { input, path, types, scope, report } = options;
  if (input === undefined) return freezeRecord({});
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (!types.some((type) => gatewayAdapters[type].optionKeys.has(key))) {
      const kinds = Object.values(gatewayAdapters)
        .filter((adapter) => adapter.optionKeys.has(key))
        .map((adapter) => adapter.label)
        .join(' and ');
      report(
        'OPTION_NOT_APPLICABLE',
        [...path, key],
        `"${key}" applies to ${kinds} gateways, and ${scope} has none; remove it`,
        true,
      );
      continue;
    }
    const at = [...path, key];
    checkHeaderBorne({ key, value, path: at, report });
    compileOption({ key, value, path: at, types, scope, report, result });
  }
  return freezeRecord(result) as TargetOptions;
}

/** Options the gateways send as headers (cf-aig-*, attribution) must be valid header values. */
function checkHeaderBorne(options: {
  key: string;
  value: unknown;
  path: ConfigPath;
  report: ReportIssue;
}): void {
  const { key, value, path, report } = options;
  if (key === 'cacheKey' || key === 'eventId' || key === 'byokAlias') {
    checkHeaderValue({ value, path, what: `"${key}"`, report });
    const problem = key === 'byokAlias' ? byokAliasProblem(value) : undefined;
    if (problem !== undefined) report('OPTION_NOT_APPLICABLE', path, problem);
  } else if (key === 'metadata' && typeof value === 'object' && value !== null) {
    for (const [entry, item] of Object.entries(value)) {
      // Sent JSON-encoded (control characters escaped): only non-Latin-1 text is refused.
      checkHeaderValue({
        value: JSON.stringify(item),
        path: [...path, entry],
        what: `metadata "${entry}"`,
        report,
      });
    }
  } else if (key === 'attribution' && typeof value === 'object' && value !== null) {
    for (const [entry, item] of Object.entries(value)) {
      checkHeaderValue({
        value: item,
        path: [...path, entry],
        what: `attribution "${entry}"`,
        report,
      });
    }
  }
}

function compileOption(options: {
  key: string;
  value: unknown;
  path: ConfigPath;
  types: readonly GatewayType[];
  scope: string;
  report: ReportIssue;
  result: Record<string, unknown>;
}): void {
  const { key, value, path, report, result } = options;
  const duration = (min: number, max: number) =>
    durationIn({ value: value as Duration, path, min, max, report });
  switch (key) {
    case 'cacheTtl': {
      const ms = duration(60_000, 30 * 86_400_000);
      if (ms !== undefined) result['cacheTtlSeconds'] = Math.floor(ms / 1000);
      break;
    }
    case 'requestTimeout': {
      const ms = duration(1, 86_400_000);
      if (ms !== undefined) result['requestTimeoutMs'] = ms;
      break;
    }
    case 'retryDelay': {
      const ms = duration(0, 5000);
      if (ms !== undefined) result['retryDelayMs'] = ms;
      break;
    }
    case 'metadata':
    case 'customCost':
    case 'attribution':
      result[key] = freezeRecord({ ...(value as object) });
      break;
    case 'routing':
      result['routing'] = compileRouting(options);
      break;
    default:
      result[key] = value;
  }
}

function compileRouting(options: {
  value: unknown;
  path: ConfigPath;
  types: readonly GatewayType[];
  scope: string;
  report: ReportIssue;
}): Readonly<Record<string, unknown>> {
  const { path, types, scope, report } = options;
  const routing: Record<string, unknown> = {};
  for (const [routingKey, routingValue] of Object.entries(
    options.value as Record<string, unknown>,
  )) {
    const usable = types.filter((type) => routingKeys[type].has(routingKey));
    if (usable.length === 0) {
      report(
        'OPTION_NOT_APPLICABLE',
        [...path, routingKey],
        `routing "${routingKey}" is not supported by the gateways of ${scope}`,
        true,
      );
      continue;
    }
    if (routingKey === 'sort' && !usable.some((type) => sortFits(type, routingValue))) {
      report(
        'INVALID_VALUE',
        [...path, routingKey],
        `routing sort "${String(routingValue)}" is not a value of ${usable
          .map((type) => `${type} (${[...(sortValues[type] ?? [])].join(', ')})`)
          .join(' or ')}`,
      );
      continue;
    }
    routing[routingKey] = deepFreeze(routingValue);
  }
  return freezeRecord(routing);
}
