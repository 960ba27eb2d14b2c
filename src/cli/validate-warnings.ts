/**
 * What `switchyard validate` warns about in a valid config: each target an alias's deadline
 * can never reach (from its plan), and each alias that mixes targets serving the Responses API
 * with targets that do not. One list, so the CLI and the documentation's own check agree.
 */
import type { RouteTable } from '../config/route-table.ts';
import { createRouter } from '../router/create-router.ts';
import { findConfigWarnings } from './config-warnings.ts';
import { findPlanWarnings } from './format-plan.ts';

/** A warning about one alias of a config. */
export type ValidateWarning = {
  readonly alias: string;
  /** The target the warning is about (1-based), for plan warnings. */
  readonly target?: number;
  readonly message: string;
};

/** Every warning `switchyard validate` prints for a compiled config, in alias order per kind. */
export function findValidateWarnings(table: RouteTable): ValidateWarning[] {
  const router = createRouter(table, { env: {}, health: false });
  const planWarnings = Object.keys(table.aliases).flatMap((alias) =>
    findPlanWarnings(router.resolve(alias)).map((warning) => ({ alias, ...warning })),
  );
  return [...planWarnings, ...findConfigWarnings(table)];
}
