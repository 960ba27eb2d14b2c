/**
 * The defaults cascade: built-in values, then `defaults:`, then each alias, field by field
 * (retry policy, time limits, error policy), with durations checked as they are read.
 */
import type { ConfigPath, ReportIssue } from '../gateways/config-issues.ts';
import { didYouMeanHint, listNames } from '../internal/did-you-mean.ts';
import { freezeRecord } from '../internal/freeze.ts';
import { defaultPolicy, defaultRetryPolicy, defaultTimeouts } from './builtin-defaults.ts';
import type { Alias, Duration, SwitchyardConfig, Timeout } from './config.generated.ts';
import { formatDuration, parseDuration } from './duration.ts';
import type { ErrorAction, ErrorClass, RetryPolicy, RouteTable, Timeouts } from './route-table.ts';

/** Options of {@link durationIn}. */
export type DurationInOptions = {
  value: Duration;
  path: ConfigPath;
  /** The shortest allowed, in milliseconds. */
  min: number;
  /** The longest allowed, in milliseconds. */
  max: number;
  report: ReportIssue;
};

/** A duration in milliseconds within `[min, max]`, or undefined after reporting why not. */
export function durationIn(options: DurationInOptions): number | undefined {
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

/** Options of {@link compileDefaults}. */
export type CompileDefaultsOptions = {
  config: SwitchyardConfig;
  /** The config's gateway names, for `defaults.gateway`. */
  gateways: readonly string[];
  report: ReportIssue;
};

/** `defaults:` over the built-in values. */
export function compileDefaults(options: CompileDefaultsOptions): RouteTable['defaults'] {
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

/** Options of {@link cascadeRetry}. */
export type CascadeRetryOptions = {
  base: RetryPolicy;
  input: Alias['retry'];
  path: ConfigPath;
  report: ReportIssue;
};

/** A `retry:` block over the policy it refines. */
export function cascadeRetry(options: CascadeRetryOptions): RetryPolicy {
  const { base, input, path, report } = options;
  if (input === undefined) return base;
  const hour = 3_600_000;
  const delay = (key: 'initialDelay' | 'maxDelay', fallback: number) => {
    const value = input[key];
    return value === undefined
      ? fallback
      : (durationIn({ value, path: [...path, key], min: 0, max: hour, report }) ?? fallback);
  };
  const initialDelayMs = delay('initialDelay', base.initialDelayMs);
  const maxDelayMs = delay('maxDelay', base.maxDelayMs);
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

/** Options of {@link cascadeTimeouts}. */
export type CascadeTimeoutsOptions = {
  base: Timeouts;
  input: Timeout | undefined;
  path: ConfigPath;
  report: ReportIssue;
};

/** A `timeout:` value (one duration: the total) or block over the limits it refines. */
export function cascadeTimeouts(options: CascadeTimeoutsOptions): Timeouts {
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
