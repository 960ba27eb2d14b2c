/**
 * Compile step: a schema-valid config → a frozen {@link RouteTable}. Gateways, upstreams,
 * `defaults:`, health and serve settings are compiled by their own modules; this one resolves
 * the alias chains, compiles the inline upstreams they name, then each alias over its chain.
 * Problems use the same issue shape as the schema checks.
 */
import type { ConfigIssue, ConfigIssueCode } from '../errors.ts';
import type { ReportIssue } from '../gateways/config-issues.ts';
import { createNameIndex, didYouMeanHint, listNames } from '../internal/did-you-mean.ts';
import { freezeRecord } from '../internal/freeze.ts';
import { compileDefaults } from './cascade-defaults.ts';
import { compileAlias, type NormalizedAlias, normalizeAlias } from './compile-alias.ts';
import { compileGateway } from './compile-gateway.ts';
import { compileHealth } from './compile-health.ts';
import { compileServe } from './compile-serve.ts';
import { compileUpstream } from './compile-upstream.ts';
import type { Gateway, SwitchyardConfig, Upstream } from './config.generated.ts';
import { type ChainTarget, resolveChains } from './resolve-chains.ts';
import type { AliasRoute, GatewayRoute, RouteTable, UpstreamRoute } from './route-table.ts';

/** A compile problem before it is given a source position. */
export type CompileIssue = Omit<ConfigIssue, 'line' | 'column'> & { readonly atKey?: boolean };

/** Result of {@link compileConfig}. */
export type CompileResult =
  | { readonly ok: true; readonly table: RouteTable }
  | { readonly ok: false; readonly issues: CompileIssue[] };

/** Options of {@link compileConfig}. */
export type CompileConfigOptions = {
  /** A schema-valid config. */
  config: SwitchyardConfig;
  /** Where it came from, kept in the table. @default '<config>' */
  source?: string;
};

/** Compiles a schema-valid config; returns every semantic problem found, or the frozen table. */
export function compileConfig(options: CompileConfigOptions): CompileResult {
  const { config } = options;
  const issues: CompileIssue[] = [];
  const report: ReportIssue = (code: ConfigIssueCode, path, message, atKey = false) => {
    issues.push({ code, path, message, atKey });
  };

  const gatewayNames = Object.keys(config.gateways);
  const gateways = compileGateways({ config, report });
  const upstreams = compileUpstreams({ config, gateways, gatewayNames, report });
  const defaults = compileDefaults({ config, gateways: gatewayNames, report });
  const health = compileHealth({ input: config.health, report });
  const aliasInputs = new Map(
    Object.entries(config.models).map(([name, input]) => [name, normalizeAlias(input)]),
  );
  const conditionInputs = new Map<string, readonly (readonly string[])[]>();
  for (const [name, input] of aliasInputs) {
    if (input.alias.when !== undefined)
      conditionInputs.set(
        name,
        input.alias.when.map((entry) => entry.targets),
      );
  }
  const { chains, conditions } = resolveChains({
    aliases: aliasInputs,
    upstreams: new Set(Object.keys(config.upstreams ?? {})),
    gateways,
    gatewayNames,
    report,
    conditions: conditionInputs,
  });

  const aliases = compileAliases({
    aliasInputs,
    chains,
    conditions,
    upstreams,
    gateways,
    defaults,
    config,
    report,
  });

  const serve =
    config.serve === undefined
      ? undefined
      : compileServe({ input: config.serve, aliases: [...aliasInputs.keys()], report });
  if (issues.length > 0) return { ok: false, issues };
  const table: RouteTable = {
    version: 1,
    source: options.source ?? '<config>',
    gateways: freezeRecord(Object.fromEntries(gateways)),
    upstreams: freezeRecord(Object.fromEntries(upstreams)),
    aliases: freezeRecord(Object.fromEntries(aliases)),
    defaults,
    ...(health === undefined ? {} : { health }),
    ...(serve === undefined ? {} : { serve }),
  };
  // Every part was frozen as it was built (user data inside params and routing deeply).
  return { ok: true, table: Object.freeze(table) };
}

/** The declared gateways that compiled, by name (each problem reported). */
function compileGateways(options: {
  config: SwitchyardConfig;
  report: ReportIssue;
}): Map<string, GatewayRoute> {
  const { config, report } = options;
  const gateways = new Map<string, GatewayRoute>();
  for (const [name, input] of Object.entries(config.gateways)) {
    const gateway = compileGateway({ name, input: input as Gateway, report });
    if (gateway !== undefined) gateways.set(name, gateway);
  }
  return gateways;
}

type CompileAliasesOptions = {
  aliasInputs: ReadonlyMap<string, NormalizedAlias>;
  /** The flat chain of each alias that resolved. */
  chains: ReadonlyMap<string, ChainTarget[]>;
  /** Each alias's `when` entries' chains (undefined where an entry had a problem). */
  conditions: ReadonlyMap<string, (ChainTarget[] | undefined)[]>;
  /** The declared upstreams; the inline ones the chains name are added to it. */
  upstreams: Map<string, UpstreamRoute>;
  gateways: ReadonlyMap<string, GatewayRoute>;
  defaults: RouteTable['defaults'];
  config: SwitchyardConfig;
  report: ReportIssue;
};

/** Each alias whose chain resolved, compiled over its chain. */
function compileAliases(options: CompileAliasesOptions): Map<string, AliasRoute> {
  const { aliasInputs, chains, upstreams, gateways, defaults, config, report } = options;
  const aliases = new Map<string, AliasRoute>();
  for (const [name, input] of aliasInputs) {
    const chain = chains.get(name);
    if (chain === undefined) continue;
    compileInlineUpstreams({ chain, upstreams, gateways, report });
    const conditionChains = options.conditions.get(name);
    for (const each of conditionChains ?? []) {
      if (each !== undefined) compileInlineUpstreams({ chain: each, upstreams, gateways, report });
    }
    aliases.set(
      name,
      compileAlias({
        name,
        input,
        chain,
        upstreams,
        gateways,
        defaults,
        config,
        report,
        ...(conditionChains === undefined ? {} : { conditionChains }),
        addUpstream: (upstream) => upstreams.set(upstream.name, upstream),
      }),
    );
  }
  return aliases;
}

/** The declared `upstreams:`, each on a gateway that compiled. */
function compileUpstreams(options: {
  config: SwitchyardConfig;
  gateways: ReadonlyMap<string, GatewayRoute>;
  gatewayNames: readonly string[];
  report: ReportIssue;
}): Map<string, UpstreamRoute> {
  const { gateways, gatewayNames, report } = options;
  const upstreams = new Map<string, UpstreamRoute>();
  const gatewayIndex = createNameIndex(gatewayNames);
  for (const [name, input] of Object.entries(options.config.upstreams ?? {})) {
    const path = ['upstreams', name];
    const upstream = input as Upstream;
    const gateway = gateways.get(upstream.gateway);
    if (gateway === undefined) {
      // A gateway that failed to compile was reported already.
      if (!gatewayNames.includes(upstream.gateway)) {
        report(
          'UNKNOWN_REFERENCE',
          [...path, 'gateway'],
          `unknown gateway "${upstream.gateway}"${didYouMeanHint(upstream.gateway, gatewayIndex)}; gateways: ${listNames(gatewayNames)}`,
        );
      }
      continue;
    }
    const compiled = compileUpstream({
      name,
      path,
      gateway,
      model: upstream.model,
      input: upstream,
      report,
    });
    if (compiled !== undefined) upstreams.set(name, compiled);
  }
  return upstreams;
}

/** The `<gateway>:<model>` targets of a chain not compiled yet, added to `upstreams`. */
function compileInlineUpstreams(options: {
  chain: readonly ChainTarget[];
  upstreams: Map<string, UpstreamRoute>;
  gateways: ReadonlyMap<string, GatewayRoute>;
  report: ReportIssue;
}): void {
  const { upstreams, gateways, report } = options;
  for (const target of options.chain) {
    if (upstreams.has(target.name) || target.inline === undefined) continue;
    const gateway = gateways.get(target.inline.gateway);
    if (gateway === undefined) continue;
    const compiled = compileUpstream({
      name: target.name,
      path: [...target.path],
      gateway,
      model: target.inline.model,
      input: {},
      report,
    });
    if (compiled !== undefined) upstreams.set(target.name, compiled);
  }
}
