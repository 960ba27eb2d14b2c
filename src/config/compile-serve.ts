/**
 * The config's `serve` section, compiled: settings of `switchyard serve`, which the router
 * ignores. Client keys are wrapped as secrets; the aliases a key is limited to must exist.
 */
import type { ConfigIssueCode } from '../errors.ts';
import { didYouMeanHint, listNames } from '../internal/did-you-mean.ts';
import { Secret } from '../secret.ts';
import type { Serve } from './config.generated.ts';
import type { ServeClientKey, ServeConfig } from './route-table.ts';

/** Options of {@link compileServe}. */
export type CompileServeOptions = {
  /** The `serve` section as written. */
  input: Serve;
  /** The config's alias names. */
  aliases: readonly string[];
  report: (code: ConfigIssueCode, path: (string | number)[], message: string) => void;
};

/** Compiles `serve`. */
export function compileServe(options: CompileServeOptions): ServeConfig {
  const { input, aliases, report } = options;
  const keys = (input.keys ?? []).map((entry, index): ServeClientKey => {
    if (typeof entry === 'string') return Object.freeze({ key: new Secret(entry) });
    const models = entry.models ?? [];
    models.forEach((model, modelIndex) => {
      if (aliases.includes(model)) return;
      report(
        'UNKNOWN_REFERENCE',
        ['serve', 'keys', index, 'models', modelIndex],
        `unknown alias "${model}"${didYouMeanHint(model, aliases)}; aliases: ${listNames(aliases)}`,
      );
    });
    return Object.freeze({
      key: new Secret(entry.key),
      ...(entry.models === undefined ? {} : { models: Object.freeze([...entry.models]) }),
    });
  });
  const overrides = input.clientOverrides ?? false;
  return Object.freeze({
    keys: Object.freeze(keys),
    directModels: input.directModels ?? false,
    clientOverrides: Array.isArray(overrides)
      ? Object.freeze([...overrides])
      : overrides
        ? 'all'
        : Object.freeze([]),
    corsOrigins: Object.freeze([...(input.cors?.origins ?? [])]),
  });
}
