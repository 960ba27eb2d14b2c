/**
 * One alias compiled over its resolved chain: options, retry policy, time limits (hand-over
 * between targets when no attempt limit is set), error policy, params, weights, and the
 * one kind of model its targets serve.
 */
import { metadataOverflow } from '../gateways/cloudflare-config.ts';
import type { ConfigPath, ReportIssue } from '../gateways/config-issues.ts';
import { listNames } from '../internal/did-you-mean.ts';
import { freezeRecord } from '../internal/freeze.ts';
import { shareAttemptMs } from './attempt-share.ts';
import { cascadeRetry, cascadeTimeouts, durationIn } from './cascade-defaults.ts';
import { type ServedThroughRoute, serveThroughRoute } from './compile-dynamic-route.ts';
import { compileParams, compileTargetOptions } from './compile-options.ts';
import { compileStrategy, splitTargets } from './compile-strategy.ts';
import type { Alias, SwitchyardConfig } from './config.generated.ts';
import type { ChainTarget } from './resolve-chains.ts';
import type {
  AliasRoute,
  ErrorAction,
  ErrorClass,
  GatewayRoute,
  HedgeRoute,
  ModelKind,
  RetryPolicy,
  RouteTable,
  TargetOptions,
  Timeouts,
  UpstreamRoute,
  WhenRoute,
} from './route-table.ts';

/** An alias as written, in one shape whether it was the shorthand `alias: target` or a block. */
export type NormalizedAlias = {
  alias: Omit<Alias, 'targets'> & { targets: readonly string[] };
  shorthand: boolean;
  /** Weights written as `{ target, weight }`, by index in `targets`. */
  weights: readonly (number | undefined)[];
};

/** The shorthand `alias: target` and the block form, as one shape. */
export function normalizeAlias(input: unknown): NormalizedAlias {
  if (typeof input === 'string')
    return { alias: { targets: [input] }, shorthand: true, weights: [undefined] };
  const { references, weights } = splitTargets((input as Alias).targets);
  return { alias: { ...(input as Alias), targets: references }, shorthand: false, weights };
}

/** Options of {@link compileAlias}. */
export type CompileAliasOptions = {
  name: string;
  input: NormalizedAlias;
  /** Its flat chain, every upstream of it compiled into `upstreams` when it could be. */
  chain: readonly ChainTarget[];
  upstreams: ReadonlyMap<string, UpstreamRoute>;
  gateways: ReadonlyMap<string, GatewayRoute>;
  /** The compiled `defaults:`. */
  defaults: RouteTable['defaults'];
  /** The config's `defaults:` as written (whether it sets an attempt limit). */
  config: SwitchyardConfig;
  report: ReportIssue;
  /** Its `when` entries' flat chains, in order (undefined where an entry had a problem, reported). */
  conditionChains?: readonly (readonly ChainTarget[] | undefined)[];
  /** Adds an upstream the alias brings (its dynamic route's, `<gateway>:dynamic/<name>`). */
  addUpstream: (upstream: UpstreamRoute) => void;
};

/** A compiled, frozen alias. */
export function compileAlias(options: CompileAliasOptions): AliasRoute {
  const { name, input, chain, upstreams, gateways, defaults, report } = options;
  const path = ['models', name];
  const targetGateways = chain
    .map((target) => gateways.get(upstreams.get(target.name)?.gateway ?? ''))
    .filter((gateway) => gateway !== undefined);
  const aliasOptions = compileTargetOptions({
    input: input.alias.options,
    path: input.shorthand ? path : [...path, 'options'],
    types: targetGateways.map((gateway) => gateway.type),
    scope: `alias "${name}"`,
    report,
  });
  const retry = cascadeRetry({
    base: defaults.retry,
    input: input.alias.retry,
    path: [...path, 'retry'],
    report,
  });
  const timeouts = aliasTimeouts({ ...options, path });
  const policy =
    input.alias.policy === undefined
      ? defaults.policy
      : (freezeRecord({ ...defaults.policy, ...input.alias.policy }) as Record<
          ErrorClass,
          ErrorAction
        >);
  const params = compileParams({ input: input.alias.params, path: [...path, 'params'], report });
  // Every chain of the alias (its targets and its `when` entries'): metadata within limits, one kind.
  const everyTarget = [...chain, ...(options.conditionChains ?? []).flatMap((each) => each ?? [])];
  checkAliasMetadata({ ...options, chain: everyTarget, path, aliasOptions });
  const weights = compileStrategy({
    name,
    strategy: input.alias.strategy,
    weights: input.weights,
    chain: chain.map((target) => ({
      name: target.name,
      index: typeof target.path[3] === 'number' ? target.path[3] : 0,
    })),
    report,
  });
  const kind = aliasKind({ ...options, chain: everyTarget, path });
  const routed = aliasRoute({ ...options, path, weighted: weights !== undefined, retry, timeouts });
  if (routed !== undefined) options.addUpstream(routed.upstream);
  const when = compileWhen({ ...options, path, weighted: weights !== undefined });
  const hedge = compileHedge({ ...options, path });
  return Object.freeze({
    name,
    ...(kind === undefined ? {} : { kind }),
    targets: routed?.targets ?? Object.freeze(chain.map((target) => target.name)),
    ...(when === undefined ? {} : { when }),
    ...(hedge === undefined ? {} : { hedge }),
    ...(weights === undefined ? {} : { strategy: 'weighted' as const, weights }),
    retry,
    timeouts,
    policy,
    options: aliasOptions,
    params,
    ...(routed === undefined ? {} : { dynamicRoute: routed.dynamicRoute }),
  });
}

/** The hedge budget's default share: at most 1 streamed call in 10 is hedged (see docs/routing.md). */
const defaultHedgeShare = 0.1;

/** `hedge`: its wait before the next target starts, and its budget. */
function compileHedge(options: CompileAliasOptions & { path: ConfigPath }): HedgeRoute | undefined {
  const hedge = options.input.alias.hedge;
  if (hedge === undefined) return undefined;
  const afterMs = durationIn({
    value: hedge.after,
    path: [...options.path, 'hedge', 'after'],
    min: 1,
    max: 86_400_000,
    report: options.report,
  });
  if (afterMs === undefined) return undefined;
  return Object.freeze({ afterMs, maxShare: hedge.maxShare ?? defaultHedgeShare });
}

/**
 * `when`: each entry's match (every value as a list) and chain. Refused with `strategy:
 * weighted` (an entry's chain is ordered) and with `dynamicRoute`: Cloudflare's published
 * route schema leaves a conditional element's `conditions` untyped, so no condition compiled
 * into a route could be checked against it.
 */
function compileWhen(
  options: CompileAliasOptions & { path: ConfigPath; weighted: boolean },
): readonly WhenRoute[] | undefined {
  const { name, input, path, report } = options;
  const entries = input.alias.when;
  if (entries === undefined) return undefined;
  if (options.weighted) {
    report(
      'INVALID_VALUE',
      [...path, 'when'],
      `alias "${name}" cannot combine when with strategy: weighted; a when entry's targets are tried in order (drop one of them, or make each when entry an alias of its own)`,
    );
  }
  if (input.alias.dynamicRoute !== undefined) {
    report(
      'INVALID_VALUE',
      [...path, 'when'],
      `alias "${name}" cannot combine when with dynamicRoute: Cloudflare's published dynamic-route schema does not define the shape of a conditional element's conditions, so Switchyard cannot compile them into the route; keep the conditions client-side (drop dynamicRoute) or build the conditional route in Cloudflare's dashboard`,
    );
  }
  const chains = options.conditionChains ?? [];
  return Object.freeze(
    entries.map((entry, index) =>
      Object.freeze({
        match: freezeRecord(
          Object.fromEntries(
            Object.entries(entry.match).map(([field, value]) => [
              field,
              Object.freeze(
                (Array.isArray(value) ? [...value] : [value]) as (string | number | boolean)[],
              ),
            ]),
          ),
        ),
        targets: Object.freeze((chains[index] ?? []).map((target) => target.name)),
      }),
    ),
  );
}

/** `dynamicRoute`: the alias served by its compiled route, when it can be. */
function aliasRoute(
  options: CompileAliasOptions & {
    path: ConfigPath;
    weighted: boolean;
    retry: RetryPolicy;
    timeouts: Timeouts;
  },
): ServedThroughRoute | undefined {
  const { name, input, path, report } = options;
  const routeName = input.alias.dynamicRoute;
  if (routeName === undefined) return undefined;
  if (options.weighted) {
    report(
      'INVALID_VALUE',
      [...path, 'dynamicRoute'],
      `alias "${name}" cannot be served by a dynamic route with strategy: weighted; a route runs its models in order (use the ordered strategy, or drop dynamicRoute)`,
    );
    return undefined;
  }
  return serveThroughRoute({
    alias: name,
    routeName,
    targets: options.chain.map((target) => target.name),
    upstreams: options.upstreams,
    gateways: options.gateways,
    retry: options.retry,
    timeouts: routeTimeouts({
      timeouts: options.timeouts,
      retry: options.retry,
      targets: options.chain.length,
    }),
    path: [...path, 'dynamicRoute'],
    report,
  });
}

/** The alias's limits over the defaults'. */
function aliasTimeouts(options: CompileAliasOptions & { path: ConfigPath }): Timeouts {
  const { input, config, path, report } = options;
  const cascaded = cascadeTimeouts({
    base: options.defaults.timeouts,
    input: input.alias.timeout,
    path: [...path, 'timeout'],
    report,
  });
  // Without an explicit attempt limit, no fixed limit per request: the last target may use all
  // that is left of the deadline, and a target that has not answered within its share of what
  // is left hands over (the router computes the share as the call goes: `startAttemptTimer`).
  const attemptSet = [input.alias.timeout, config.defaults?.timeout].some(
    (timeout) => typeof timeout === 'object' && timeout.attempt !== undefined,
  );
  return attemptSet
    ? cascaded
    : Object.freeze({ ...cascaded, attemptMs: cascaded.totalMs, handOver: true });
}

/**
 * The limits a dynamic route's `model` elements get: with hand-over, an equal share of the
 * deadline per try (Cloudflare runs the elements, and needs a number for each).
 */
function routeTimeouts(options: { timeouts: Timeouts; retry: RetryPolicy; targets: number }) {
  const { timeouts, retry, targets } = options;
  if (timeouts.handOver !== true) return timeouts;
  return Object.freeze({
    ...timeouts,
    attemptMs: shareAttemptMs({ totalMs: timeouts.totalMs, retry, targets }),
  });
}

/** Each target's metadata (gateway, upstream and alias merged) within what Cloudflare keeps. */
function checkAliasMetadata(
  options: CompileAliasOptions & { path: ConfigPath; aliasOptions: TargetOptions },
): void {
  const { chain, upstreams, gateways, path, aliasOptions, report } = options;
  for (const target of chain) {
    const upstream = upstreams.get(target.name);
    const gateway = gateways.get(upstream?.gateway ?? '');
    if (upstream === undefined || gateway === undefined) continue;
    const count = metadataOverflow([gateway.options, upstream.options, aliasOptions]);
    if (count !== undefined) {
      report(
        'INVALID_VALUE',
        [...path, 'options', 'metadata'],
        `metadata for upstream "${upstream.name}" has ${count} entries after merging gateway, upstream and alias; Cloudflare keeps at most 5`,
      );
    }
  }
}

/** The one kind the chain serves; a chain mixing chat and embeddings upstreams is reported. */
function aliasKind(options: CompileAliasOptions & { path: ConfigPath }): ModelKind | undefined {
  const { name, input, chain, upstreams, path, report } = options;
  const kinds = new Set(chain.flatMap((target) => upstreams.get(target.name)?.kind ?? []));
  if (kinds.size > 1) {
    const byKind = (kind: ModelKind) =>
      chain
        .filter((target) => upstreams.get(target.name)?.kind === kind)
        .map((target) => target.name);
    report(
      'INVALID_VALUE',
      input.shorthand ? path : [...path, 'targets'],
      `alias "${name}" mixes chat upstreams (${listNames(byKind('chat'))}) and embeddings upstreams (${listNames(byKind('embeddings'))}); a fallback chain serves one kind: split it into two aliases`,
    );
  }
  const [kind] = kinds;
  return kind;
}
