/**
 * The config's `health` section, compiled: where health memory lives. The Redis URL is wrapped
 * as a secret (it may hold a password).
 */
import type { ConfigIssueCode } from '../errors.ts';
import { Secret } from '../secret.ts';
import type { Health } from './config.generated.ts';
import type { HealthConfig } from './route-table.ts';

/** Options of {@link compileHealth}. */
export type CompileHealthOptions = {
  /** The `health` section as written; undefined when absent. */
  input: Health | undefined;
  report: (code: ConfigIssueCode, path: (string | number)[], message: string) => void;
};

/** Compiles `health`; undefined when the section is absent (in-process memory). */
export function compileHealth(options: CompileHealthOptions): HealthConfig | undefined {
  const { input } = options;
  if (input === undefined) return undefined;
  // `url` may stay with store: memory, so one file can switch with store: ${HEALTH_STORE}.
  if (input.store === 'memory') return Object.freeze({ store: 'memory' });
  if (input.url === undefined) {
    options.report(
      'INVALID_VALUE',
      ['health'],
      'store: redis needs a url, e.g. url: ${REDIS_URL} (redis://host:6379)',
    );
    return undefined;
  }
  return Object.freeze({
    store: 'redis',
    url: new Secret(input.url),
    prefix: input.prefix ?? 'switchyard',
  });
}
