/**
 * Model name → plan: the ordered targets with everything a request needs (client setup, headers,
 * body fields), computed once per name and cached. No I/O.
 */

import type {
  AliasRoute,
  GatewayRoute,
  RouteTable,
  TargetOptions,
  UpstreamRoute,
  WhenRoute,
} from '../config/route-table.ts';
import { RouterError, UnknownAliasError } from '../errors.ts';
import { gatewayAdapters, mergeTargetOptions } from '../gateways/index.ts';
import type { ClientSetup, GatewayAdapter } from '../gateways/types.ts';
import { createNameIndex, type NameIndex } from '../internal/did-you-mean.ts';
import { redactedText, redactorFor } from '../internal/redact.ts';
import type { CallContext, Plan, PlanTarget } from './types.ts';

/** A target ready to be called. */
export type ResolvedTarget = {
  readonly upstream: UpstreamRoute;
  readonly gateway: GatewayRoute;
  readonly setup: ClientSetup;
  /** Headers added to each request (`cf-aig-*`, attribution). */
  readonly headers: Readonly<Record<string, string>>;
  /** Body fields under the request's own (params, routing). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Gateway-side attempts per request (`cf-aig-max-attempts`), 1 when unset. */
  readonly gatewayAttempts: number;
  /** This target's own attempt limit, ms (an alias's dynamic route); else the plan's. */
  readonly attemptMs?: number;
  /** Adds the caller's per-call context to the headers, for a gateway that records it. */
  readonly withContext?: GatewayAdapter['withContext'];
};

/** A resolved plan (internal: holds revealed credentials inside `setup`). */
export type ResolvedPlan = Omit<Plan, 'targets' | 'worstCase' | 'conditions'> & {
  readonly targets: readonly ResolvedTarget[];
  /** Load balancing: each target's weight, by index (see `orderTargets`). */
  readonly weights?: readonly number[];
  /**
   * True when some target declares `contextWindow` or `maxOutputTokens`: only then does a call
   * estimate its request's size (see `request-size.ts`).
   */
  readonly sized?: true;
  /** The alias's `when` entries, each with its own plan; the first matching the context serves. */
  readonly conditions?: readonly ResolvedCondition[];
};

/** One `when` entry of an alias, resolved. */
export type ResolvedCondition = {
  readonly match: WhenRoute['match'];
  /** `match` as a list, read per call without walking an object's keys. */
  readonly fields: readonly (readonly [string, readonly (string | number | boolean)[]])[];
  readonly plan: ResolvedPlan;
};

/** Most direct (`<gateway>:<model>`) and default-gateway names kept resolved; names come from callers. */
const maxDynamicEntries = 1000;

/** Resolves names against one route table, caching results. */
export type PlanResolver = {
  resolve(model: string): ResolvedPlan;
};

/** What a resolver keeps: its table, and the plans and targets resolved so far. */
type ResolverState = {
  readonly table: RouteTable;
  readonly aliasPlans: Map<string, ResolvedPlan>;
  readonly dynamicPlans: Map<string, ResolvedPlan>;
  readonly aliasNames: string[];
  /** Built on the first unknown name, then reused: suggestions stay cheap on large configs. */
  aliasIndex: NameIndex | undefined;
  /**
   * An upstream resolves to the same target in every alias that adds no options or params of
   * its own: one shared object (and one client setup) per upstream, not one per alias.
   */
  readonly sharedTargets: Map<string, ResolvedTarget>;
};

/** Creates a resolver for a table. */
export function createPlanResolver(table: RouteTable): PlanResolver {
  const state: ResolverState = {
    table,
    aliasPlans: new Map(),
    dynamicPlans: new Map(),
    aliasNames: Object.keys(table.aliases),
    aliasIndex: undefined,
    sharedTargets: new Map(),
  };
  return { resolve: (model) => resolvePlan(state, model) };
}

/** An alias's plan (cached), else a `<gateway>:<model>` or default-gateway plan (cached, bounded). */
function resolvePlan(state: ResolverState, model: string): ResolvedPlan {
  const { table } = state;
  const alias = Object.hasOwn(table.aliases, model) ? table.aliases[model] : undefined;
  if (alias !== undefined) {
    let plan = state.aliasPlans.get(model);
    if (plan === undefined) {
      plan = resolveAlias(state, alias);
      state.aliasPlans.set(model, plan);
    }
    return plan;
  }
  const cached = state.dynamicPlans.get(model);
  if (cached !== undefined) return cached;
  const plan = resolveDynamic(table, model);
  if (plan === undefined) {
    state.aliasIndex ??= createNameIndex(state.aliasNames);
    const suggestion = state.aliasIndex.suggest(model);
    const upstream = Object.hasOwn(table.upstreams, model) ? table.upstreams[model] : undefined;
    throw new UnknownAliasError({
      model,
      available: state.aliasNames,
      ...(suggestion === undefined ? {} : { suggestion }),
      ...(upstream === undefined
        ? {}
        : {
            upstream: {
              usedBy: Object.values(table.aliases)
                .filter((alias) => alias.targets.includes(model))
                .map((alias) => alias.name),
              direct: `${upstream.gateway}:${upstream.model}`,
            },
          }),
    });
  }
  if (state.dynamicPlans.size >= maxDynamicEntries) {
    const oldest = state.dynamicPlans.keys().next().value;
    if (oldest !== undefined) state.dynamicPlans.delete(oldest);
  }
  state.dynamicPlans.set(model, plan);
  return plan;
}

function resolveAlias(state: ResolverState, alias: AliasRoute): ResolvedPlan {
  const plan = resolveChain(state, alias, alias.targets);
  if (alias.when === undefined) return plan;
  return {
    ...plan,
    conditions: alias.when.map((entry) => ({
      match: entry.match,
      fields: Object.entries(entry.match),
      plan: resolveChain(state, { ...alias, weights: undefined }, entry.targets),
    })),
  };
}

/**
 * The plan a call runs: an alias's first `when` entry whose `match` the context satisfies, else
 * the plan itself. A plan without conditions is returned as is.
 */
export function choosePlan(plan: ResolvedPlan, context: CallContext | undefined): ResolvedPlan {
  const { conditions } = plan;
  if (conditions === undefined || context === undefined) return plan;
  for (const condition of conditions) {
    if (matches(condition.fields, context)) return condition.plan;
  }
  return plan;
}

/** Whether every field has one of its values in `context` (own fields only). */
function matches(fields: ResolvedCondition['fields'], context: CallContext): boolean {
  for (const [field, values] of fields) {
    const value = context[field];
    if (value === undefined || !values.includes(value) || !Object.hasOwn(context, field))
      return false;
  }
  return true;
}

/** An alias's plan over one chain of its (its `targets`, or a `when` entry's). */
function resolveChain(
  state: ResolverState,
  alias: Omit<AliasRoute, 'weights'> & { readonly weights?: readonly number[] | undefined },
  names: readonly string[],
): ResolvedPlan {
  const targets = names.map((name) => {
    const upstream = state.table.upstreams[name];
    if (upstream === undefined)
      throw new RouterError(`alias "${alias.name}" names unknown upstream "${name}"`, {
        code: 'INVALID_REQUEST',
      });
    const target = aliasTarget(state, alias, upstream);
    const route = alias.dynamicRoute;
    return route !== undefined && name === `${route.gateway}:dynamic/${route.name}`
      ? { ...target, attemptMs: route.attemptMs }
      : target;
  });
  return {
    model: alias.name,
    kind: 'alias',
    ...(alias.kind === undefined ? {} : { serves: alias.kind }),
    retry: alias.retry,
    timeouts: alias.timeouts,
    ...(alias.hedge === undefined ? {} : { hedge: alias.hedge }),
    policy: alias.policy,
    ...(alias.weights === undefined
      ? {}
      : { strategy: 'weighted' as const, weights: alias.weights }),
    ...(targets.some((target) => isSized(target.upstream)) ? { sized: true as const } : {}),
    targets,
  };
}

function isSized(upstream: UpstreamRoute): boolean {
  return upstream.contextWindow !== undefined || upstream.maxOutputTokens !== undefined;
}

/** An alias's target on an upstream: the upstream's shared one unless the alias adds its own. */
function aliasTarget(
  state: ResolverState,
  alias: Pick<AliasRoute, 'options' | 'params'>,
  upstream: UpstreamRoute,
): ResolvedTarget {
  const shared = isEmpty(alias.options) && isEmpty(alias.params);
  let target = shared ? state.sharedTargets.get(upstream.name) : undefined;
  if (target === undefined) {
    target = resolveTarget({
      table: state.table,
      upstream,
      aliasOptions: alias.options,
      aliasParams: alias.params,
    });
    if (shared) state.sharedTargets.set(upstream.name, target);
  }
  return target;
}

/** A `<gateway>:<model>` name, or a bare model on the default gateway; undefined for neither. */
function resolveDynamic(table: RouteTable, model: string): ResolvedPlan | undefined {
  const colon = model.indexOf(':');
  let gatewayName: string | undefined;
  let upstreamModel = model;
  let kind: Plan['kind'] = 'direct';
  if (colon > 0 && Object.hasOwn(table.gateways, model.slice(0, colon))) {
    gatewayName = model.slice(0, colon);
    upstreamModel = model.slice(colon + 1);
  } else if (table.defaults.gateway !== undefined) {
    gatewayName = table.defaults.gateway;
    kind = 'default-gateway';
  }
  if (gatewayName === undefined) return undefined;
  const gateway = table.gateways[gatewayName];
  if (gateway === undefined) return undefined;
  if (upstreamModel === '') {
    throw new RouterError(`"${model}" names no model; write ${gatewayName}:<model>`, {
      code: 'INVALID_REQUEST',
    });
  }
  const upstream = directUpstream(gateway, upstreamModel);
  return {
    model,
    kind,
    retry: table.defaults.retry,
    timeouts: table.defaults.timeouts,
    policy: table.defaults.policy,
    targets: [resolveTarget({ table, upstream, aliasOptions: {}, aliasParams: {} })],
  };
}

/** The upstream a direct name stands for (the gateway checks the model: see `directModel`). */
function directUpstream(gateway: GatewayRoute, upstreamModel: string): UpstreamRoute {
  const extra = gatewayAdapters[gateway.type].directModel?.({ gateway, model: upstreamModel });
  return {
    name: `${gateway.name}:${upstreamModel}`,
    gateway: gateway.name,
    model: upstreamModel,
    ...extra,
    params: {},
    options: {},
  };
}

function isEmpty(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

function resolveTarget(options: {
  table: RouteTable;
  upstream: UpstreamRoute;
  aliasOptions: TargetOptions;
  aliasParams: Readonly<Record<string, unknown>>;
}): ResolvedTarget {
  const { table, upstream } = options;
  const gateway = table.gateways[upstream.gateway];
  if (gateway === undefined)
    throw new RouterError(
      `upstream "${upstream.name}" names unknown gateway "${upstream.gateway}"`,
      { code: 'INVALID_REQUEST' },
    );
  const adapter = gatewayAdapters[gateway.type];
  const merged = mergeTargetOptions(gateway.options, upstream.options, options.aliasOptions);
  const extras = adapter.requestExtras({ gateway, options: merged });
  return {
    upstream,
    gateway,
    setup: adapter.clientSetup({ gateway, upstream }),
    headers: extras.headers,
    body: { ...extras.body, ...upstream.params, ...options.aliasParams },
    gatewayAttempts: adapter.gatewayAttempts?.(merged) ?? 1,
    ...(adapter.withContext === undefined ? {} : { withContext: adapter.withContext }),
  };
}

/** The public, redacted view of a resolved plan. */
export function toPublicPlan(plan: ResolvedPlan): Plan {
  const conditions = plan.conditions?.map((condition) => ({
    match: condition.match,
    targets: publicTargets(condition.plan),
  }));
  const requestsOf = (each: ResolvedPlan) =>
    each.targets.reduce((sum, target) => sum + each.retry.attempts * target.gatewayAttempts, 0);
  return {
    model: plan.model,
    kind: plan.kind,
    ...(plan.serves === undefined ? {} : { serves: plan.serves }),
    retry: plan.retry,
    timeouts: plan.timeouts,
    ...(plan.hedge === undefined ? {} : { hedge: plan.hedge }),
    policy: plan.policy,
    ...(plan.strategy === undefined ? {} : { strategy: plan.strategy }),
    worstCase: {
      requests: Math.max(
        requestsOf(plan),
        ...(plan.conditions ?? []).map((condition) => requestsOf(condition.plan)),
      ),
      timeMs: plan.timeouts.totalMs,
    },
    targets: publicTargets(plan),
    ...(conditions === undefined ? {} : { conditions }),
  };
}

/** A plan's targets, redacted. */
function publicTargets(plan: ResolvedPlan): PlanTarget[] {
  return plan.targets.map((target, index): PlanTarget => {
    const redactor = redactorFor(target.setup.secrets);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(target.setup.defaultHeaders)) {
      if (value !== null)
        headers[name] =
          target.setup.secrets.includes(value) || /authorization/i.test(name)
            ? redactedText
            : redactor.text(value);
    }
    if (
      target.setup.apiKey !== 'switchyard-no-key' &&
      target.setup.defaultHeaders['authorization'] !== null
    ) {
      headers['authorization'] = redactedText;
    }
    Object.assign(headers, target.headers);
    const { upstream } = target;
    return {
      upstream: upstream.name,
      gateway: target.gateway.name,
      gatewayType: target.gateway.type,
      url: `${target.setup.baseURL}/${plan.serves === 'embeddings' ? 'embeddings' : 'chat/completions'}`,
      model: upstream.model,
      authMode: target.gateway.auth.mode,
      headers,
      body: target.body,
      gatewayAttempts: target.gatewayAttempts,
      ...(target.attemptMs === undefined ? {} : { attemptMs: target.attemptMs }),
      ...weightOf(plan, index),
      ...(upstream.contextWindow === undefined ? {} : { contextWindow: upstream.contextWindow }),
      ...(upstream.maxOutputTokens === undefined
        ? {}
        : { maxOutputTokens: upstream.maxOutputTokens }),
      ...(upstream.price === undefined ? {} : { price: upstream.price }),
    };
  });
}

/** A weighted plan's target weight and share of first tries; nothing for an ordered plan. */
function weightOf(plan: ResolvedPlan, index: number): { weight?: number; share?: number } {
  if (plan.weights === undefined) return {};
  const weight = plan.weights[index] ?? 0;
  const total = plan.weights.reduce((sum, each) => sum + each, 0);
  return { weight, share: total > 0 ? weight / total : 0 };
}

/**
 * A load-balanced call's order: indexes of `weights` drawn one by one in proportion to their
 * weight (weighted sampling without replacement), then the weight-0 targets as listed. Uses
 * `random` once per drawn target, so an injected source makes it deterministic.
 */
export function orderTargets(weights: readonly number[], random: () => number): number[] {
  const order: number[] = [];
  const pool: number[] = [];
  let total = 0;
  weights.forEach((weight, index) => {
    if (weight > 0) {
      pool.push(index);
      total += weight;
    }
  });
  while (pool.length > 1) {
    let point = random() * total;
    let pick = pool.length - 1;
    for (let slot = 0; slot < pool.length; slot++) {
      point -= weights[pool[slot] as number] as number;
      if (point < 0) {
        pick = slot;
        break;
      }
    }
    const [index] = pool.splice(pick, 1) as [number];
    order.push(index);
    total -= weights[index] as number;
  }
  order.push(...pool);
  weights.forEach((weight, index) => {
    if (weight <= 0) order.push(index);
  });
  return order;
}
