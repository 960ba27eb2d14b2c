/**
 * Who may call what through `switchyard serve`, checked before a call reaches the router:
 *
 * - with client keys, only aliases are served (not `<gateway>:<model>` or bare names sent to the
 *   default gateway) unless the config's `serve.directModels` is true, and a key limited to
 *   some aliases calls those only;
 * - a body field the config sets for an upstream (params, and routing sent in the body such as
 *   OpenRouter's `provider`) cannot be set by the client unless `serve.clientOverrides` lets it.
 *
 * Without client keys (a loopback server) every name is served; the body rule always holds.
 */
import type { RouteTable, ServeConfig } from '../config/route-table.ts';
import type { Router } from '../router/types.ts';
import type { KeyGrant } from './client-keys.ts';
import { errorFromRouter, type ServeError, serveError } from './openai-error.ts';

/** Options of {@link checkAccess}. */
export type CheckAccessOptions = {
  readonly router: Router;
  /** The `model` asked for. */
  readonly model: string;
  /** The request body. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Whether the server has client keys. */
  readonly keysRequired: boolean;
  /** The presented key's grant (when keys are required). */
  readonly grant: KeyGrant | undefined;
};

/** What the policy needs to know about a model name under one config. */
type ModelFacts = {
  readonly kind: 'alias' | 'direct' | 'default-gateway';
  /** Body fields some target's config sets. */
  readonly lockedFields: readonly string[];
};

const noServe: ServeConfig = Object.freeze({
  keys: [],
  directModels: false,
  clientOverrides: Object.freeze([]),
  corsOrigins: Object.freeze([]),
});

// Facts about aliases, per config (names that are not aliases are not kept: they are unbounded).
const aliasFacts = new WeakMap<RouteTable, Map<string, ModelFacts>>();

/** The error answer when the request may not be made, else undefined. */
export function checkAccess(options: CheckAccessOptions): ServeError | undefined {
  const { router, model, params, keysRequired, grant } = options;
  const table = router.config();
  const serve = table.serve ?? noServe;
  if (keysRequired && grant?.models !== undefined && !grant.models.includes(model)) {
    return notAllowed(`This key may not call "${model}"; its models: ${grant.models.join(', ')}.`);
  }
  let facts: ModelFacts;
  try {
    facts = modelFacts({ router, table, model });
  } catch (error) {
    return errorFromRouter(error);
  }
  if (keysRequired && facts.kind !== 'alias' && !serve.directModels) {
    return notAllowed(
      `"${model}" is not an alias, and this server serves its aliases only: ${router.aliases().join(', ') || 'none'}.`,
    );
  }
  const overrides = serve.clientOverrides;
  if (overrides === 'all') return undefined;
  for (const field of facts.lockedFields) {
    if (Object.hasOwn(params, field) && !overrides.includes(field)) {
      return serveError({
        status: 400,
        message: `"${field}" is set by this server's config for "${model}" and cannot be set by a client (serve.clientOverrides in the config can allow it).`,
        param: field,
        code: 'param_not_allowed',
      });
    }
  }
  return undefined;
}

function notAllowed(message: string): ServeError {
  return serveError({ status: 403, message, param: 'model', code: 'model_not_allowed' });
}

type ModelFactsOptions = {
  readonly router: Router;
  readonly table: RouteTable;
  readonly model: string;
};

/** The facts for `model`, from the router's plan (cached for aliases); throws as `resolve` does. */
function modelFacts({ router, table, model }: ModelFactsOptions): ModelFacts {
  let cache = aliasFacts.get(table);
  const cached = cache?.get(model);
  if (cached !== undefined) return cached;
  const plan = router.resolve(model);
  const fields = new Set<string>();
  for (const target of plan.targets)
    for (const field of Object.keys(target.body)) fields.add(field);
  const facts: ModelFacts = Object.freeze({
    kind: plan.kind,
    lockedFields: Object.freeze([...fields]),
  });
  if (plan.kind === 'alias') {
    if (cache === undefined) {
      cache = new Map();
      aliasFacts.set(table, cache);
    }
    cache.set(model, facts);
  }
  return facts;
}
