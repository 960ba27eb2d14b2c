/**
 * The config's `serve` section, compiled: settings of `switchyard serve`, which the router
 * ignores. Client keys are wrapped as secrets.
 */
import { Secret } from '../secret.ts';
import type { Serve } from './config.generated.ts';
import type { ServeConfig } from './route-table.ts';

/** Compiles `serve`; undefined when the section is absent. */
export function compileServe(input: Serve): ServeConfig {
  return Object.freeze({
    keys: Object.freeze((input.keys ?? []).map((key) => new Secret(key))),
  });
}
