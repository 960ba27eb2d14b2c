/**
 * Warnings about a valid config: things that load fine but will surprise at call time. Today:
 * an alias that mixes targets that serve the Responses API with targets that do not, so
 * `router.responses.create` refuses it while `chat.completions.create` works.
 */
import type { RouteTable } from '../config/route-table.ts';
import { responsesUnsupportedReason } from '../router/responses-support.ts';

/** A warning about one alias. */
export type ConfigWarning = {
  readonly alias: string;
  readonly message: string;
};

/** Every warning for a compiled config, in alias order. */
export function findConfigWarnings(table: RouteTable): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  // Only configs that use Cloudflare's REST API (the one Cloudflare endpoint with the Responses
  // API) are told about it: a compat-only config has no reason to expect responses.create.
  const usesRest = Object.values(table.gateways).some(
    (gateway) => gateway.cloudflare?.endpoint === 'rest',
  );
  if (!usesRest) return warnings;
  for (const alias of Object.values(table.aliases)) {
    const serving: string[] = [];
    const refusing: string[] = [];
    for (const name of alias.targets) {
      const upstream = table.upstreams[name];
      const gateway = upstream === undefined ? undefined : table.gateways[upstream.gateway];
      if (upstream === undefined || gateway === undefined) continue;
      const reason = responsesUnsupportedReason({ gateway, upstream });
      if (reason === undefined) serving.push(name);
      else refusing.push(`${name} (${reason})`);
    }
    if (serving.length > 0 && refusing.length > 0) {
      warnings.push({
        alias: alias.name,
        message: `mixes targets that serve the Responses API (${serving.join(', ')}) with targets that do not: ${refusing.join('; ')}. router.responses.create("${alias.name}") is refused; chat completions work`,
      });
    }
  }
  return warnings;
}
