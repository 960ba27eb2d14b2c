/**
 * Aliases → flat chains of upstreams. Aliases used as targets are spliced in; cycles,
 * duplicates, over-long chains and over-deep nesting are reported at the target that leads to
 * them. Iterative (an explicit stack, never recursion on the config's depth), so any config,
 * however deep or cyclic, gives issues rather than a stack overflow, in time linear in the
 * number of targets.
 */
import type { ReportIssue } from '../gateways/config-issues.ts';
import { createNameIndex, listNames, type NameIndex } from '../internal/did-you-mean.ts';
import type { GatewayRoute } from './route-table.ts';

/** Longest fallback chain after nested aliases are spliced in. */
export const maxChainLength = 32;

/**
 * Deepest nesting of aliases: an alias whose targets are upstreams is at depth 0, one that names
 * such an alias at depth 1, and so on.
 */
export const maxAliasDepth = 16;

/** What chain resolution needs of an alias: its target references, and whether it is the shorthand `alias: target`. */
export type NormalizedAlias = {
  readonly alias: { readonly targets: readonly string[] };
  readonly shorthand: boolean;
};

/** One target of a flat chain. */
export type ChainTarget = {
  /** Upstream name (declared, or `<gateway>:<model>` inline). */
  readonly name: string;
  /** Where the top-level alias names it. */
  readonly path: readonly (string | number)[];
  readonly inline?: { readonly gateway: string; readonly model: string };
};

/** Options of {@link resolveChains}. */
export type ResolveChainsOptions = {
  aliases: ReadonlyMap<string, NormalizedAlias>;
  upstreams: ReadonlySet<string>;
  gateways: ReadonlyMap<string, GatewayRoute>;
  /** Every declared gateway, including those that failed to compile. */
  gatewayNames: readonly string[];
  report: ReportIssue;
};

type Resolved = { readonly chain: readonly ChainTarget[]; readonly depth: number };

/** A frame of the explicit stack: an alias whose targets are being visited. */
type Frame = { readonly alias: string; readonly targets: readonly string[]; next: number };

/**
 * Resolves every alias to its flat chain of upstreams. Upstream names win over alias names, so
 * `claude: claude` is an alias for the upstream `claude`, not a loop. Each problem is reported
 * once, by the alias where it is written; an alias that names a broken alias fails silently.
 * Aliases with a problem have no entry in the result.
 */
export function resolveChains(options: ResolveChainsOptions): Map<string, ChainTarget[]> {
  const { aliases, upstreams, gateways, gatewayNames, report } = options;
  const resolved = new Map<string, Resolved | 'failed'>();
  /** Aliases on the stack, with their index in it (for cycle paths). */
  const onStack = new Map<string, number>();
  const stack: Frame[] = [];
  let knownIndex: NameIndex | undefined;
  let gatewayIndex: NameIndex | undefined;

  const targetPath = (alias: string, index: number): (string | number)[] =>
    aliases.get(alias)?.shorthand === true
      ? ['models', alias]
      : ['models', alias, 'targets', index];

  const push = (alias: string) => {
    const entry = aliases.get(alias);
    onStack.set(alias, stack.length);
    stack.push({ alias, targets: entry?.alias.targets ?? [], next: 0 });
  };

  for (const root of aliases.keys()) {
    if (resolved.has(root)) continue;
    push(root);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      // Visit the aliases this one names first (depth-first), one at a time.
      let descended = false;
      while (frame.next < frame.targets.length) {
        const reference = frame.targets[frame.next] as string;
        if (
          !upstreams.has(reference) &&
          aliases.has(reference) &&
          !resolved.has(reference) &&
          !onStack.has(reference)
        ) {
          push(reference);
          descended = true;
          break;
        }
        frame.next += 1;
      }
      if (descended) continue;
      stack.pop();
      onStack.delete(frame.alias);
      resolved.set(frame.alias, finish(frame.alias));
    }
  }

  /** Every target of `alias` is resolved (or on the stack: a cycle): build its chain. */
  function finish(alias: string): Resolved | 'failed' {
    const entry = aliases.get(alias);
    if (entry === undefined) return 'failed';
    const chain: ChainTarget[] = [];
    let depth = 0;
    let deepest: { reference: string; path: (string | number)[] } | undefined;
    let ok = true;
    for (const [index, reference] of entry.alias.targets.entries()) {
      const path = targetPath(alias, index);
      if (upstreams.has(reference)) {
        chain.push({ name: reference, path });
        continue;
      }
      if (aliases.has(reference)) {
        const at = onStack.get(reference);
        if (reference === alias || at !== undefined) {
          const names = [...stack.slice(at ?? stack.length).map((item) => item.alias), alias];
          report(
            'FALLBACK_CYCLE',
            path,
            `fallback cycle: ${formatCycle([...names, reference])}; remove one of these targets`,
          );
          ok = false;
          continue;
        }
        const nested = resolved.get(reference);
        if (nested === undefined || nested === 'failed') {
          ok = false; // reported where it is written
          continue;
        }
        for (const target of nested.chain) chain.push({ ...target, path });
        if (nested.depth + 1 > depth) {
          depth = nested.depth + 1;
          deepest = { reference, path };
        }
        continue;
      }
      const colon = reference.indexOf(':');
      if (colon > 0) {
        const gateway = reference.slice(0, colon);
        const model = reference.slice(colon + 1);
        if (!gateways.has(gateway)) {
          ok = false;
          // A declared gateway that failed to compile has its own issue already.
          if (gatewayNames.includes(gateway)) continue;
          gatewayIndex ??= createNameIndex(gatewayNames);
          const suggestion = gatewayIndex.suggest(gateway);
          report(
            'UNKNOWN_REFERENCE',
            path,
            `unknown gateway "${gateway}" in "${reference}"${hint(suggestion)}; gateways: ${listNames(gatewayNames)}`,
          );
        } else if (model === '') {
          report('INVALID_VALUE', path, `"${reference}" names no model; write ${gateway}:<model>`);
          ok = false;
        } else {
          chain.push({ name: reference, path, inline: { gateway, model } });
        }
        continue;
      }
      knownIndex ??= createNameIndex([...upstreams, ...aliases.keys()]);
      report(
        'UNKNOWN_REFERENCE',
        path,
        `unknown target "${reference}"${hint(knownIndex.suggest(reference))}; a target is an upstream, an alias or <gateway>:<model> (upstreams: ${listNames([...upstreams])})`,
      );
      ok = false;
    }
    if (!ok) return 'failed';
    if (depth > maxAliasDepth && deepest !== undefined) {
      report(
        'INVALID_VALUE',
        deepest.path,
        `alias "${alias}" nests aliases ${depth} deep through "${deepest.reference}"; the limit is ${maxAliasDepth}: name upstreams here instead of aliases that name aliases`,
      );
      return 'failed';
    }
    const seen = new Set<string>();
    const unique: ChainTarget[] = [];
    for (const target of chain) {
      if (seen.has(target.name)) {
        report(
          'DUPLICATE_TARGET',
          [...target.path],
          `upstream "${target.name}" appears more than once in the chain of alias "${alias}"; a target is tried once, with its retries`,
        );
        ok = false;
        continue;
      }
      seen.add(target.name);
      unique.push(target);
    }
    if (!ok) return 'failed';
    if (unique.length > maxChainLength) {
      report(
        'INVALID_VALUE',
        ['models', alias],
        `the chain of alias "${alias}" has ${unique.length} targets after splicing nested aliases; the limit is ${maxChainLength}`,
      );
      return 'failed';
    }
    return { chain: unique, depth };
  }

  const chains = new Map<string, ChainTarget[]>();
  for (const [alias, result] of resolved) {
    if (result !== 'failed') chains.set(alias, [...result.chain]);
  }
  return chains;
}

function hint(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

/** `a → b → a`, shortened in the middle when long. */
function formatCycle(names: readonly string[]): string {
  if (names.length <= 12) return names.join(' → ');
  return [...names.slice(0, 5), `… ${names.length - 10} more`, ...names.slice(-5)].join(' → ');
}
