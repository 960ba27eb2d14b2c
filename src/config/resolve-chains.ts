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
  /**
   * Each alias's `when` entries' target references, by alias name: resolved like `targets`
   * (nested aliases spliced in, inline `<gateway>:<model>`, duplicates and lengths checked),
   * after every alias. An entry may name its own alias: that splices in the alias's `targets`.
   * @default none
   */
  conditions?: ReadonlyMap<string, readonly (readonly string[])[]>;
};

/** What {@link resolveChains} finds: each alias's chain, and each of its `when` entries' chains. */
export type ResolvedChains = {
  readonly chains: Map<string, ChainTarget[]>;
  /** By alias name: each `when` entry's chain, or undefined where it had a problem (reported). */
  readonly conditions: Map<string, (ChainTarget[] | undefined)[]>;
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
export function resolveChains(options: ResolveChainsOptions): ResolvedChains {
  const state: ChainState = {
    options,
    resolved: new Map(),
    onStack: new Map(),
    stack: [],
    knownIndex: undefined,
    gatewayIndex: undefined,
  };
  for (const root of options.aliases.keys()) {
    if (!state.resolved.has(root)) resolveFrom(state, root);
  }
  const chains = new Map<string, ChainTarget[]>();
  for (const [alias, result] of state.resolved) {
    if (result !== 'failed') chains.set(alias, [...result.chain]);
  }
  const conditions = new Map<string, (ChainTarget[] | undefined)[]>();
  for (const [alias, entries] of options.conditions ?? []) {
    conditions.set(
      alias,
      entries.map((references, index) => {
        const result = finishChain(state, {
          alias,
          label: `alias "${alias}" (when[${index}])`,
          references,
          path: (at) => ['models', alias, 'when', index, 'targets', at],
        });
        return result === 'failed' ? undefined : [...result.chain];
      }),
    );
  }
  return { chains, conditions };
}

/** The walk over every alias; the functions below read and update it. */
type ChainState = {
  readonly options: ResolveChainsOptions;
  readonly resolved: Map<string, Resolved | 'failed'>;
  /** Aliases on the stack, with their index in it (for cycle paths). */
  readonly onStack: Map<string, number>;
  readonly stack: Frame[];
  /** Built on the first unknown name only: a valid config never pays for did-you-mean. */
  knownIndex: NameIndex | undefined;
  gatewayIndex: NameIndex | undefined;
};

/** The chain of one alias while its targets are added. */
type ChainDraft = {
  readonly alias: string;
  /** How messages name the chain: `alias "x"`, or `alias "x" (when[0])`. */
  readonly label: string;
  readonly chain: ChainTarget[];
  /** Nesting depth so far, and the target that leads to it (where a too-deep nest is reported). */
  depth: number;
  deepest: { reference: string; path: (string | number)[] } | undefined;
  /** False once a target had a problem; the alias then fails. */
  ok: boolean;
};

/** One target reference of an alias, with where it is written. */
type TargetReference = { readonly reference: string; readonly path: (string | number)[] };

/** Finishes `root` and every alias it names, those first (depth-first, on an explicit stack). */
function resolveFrom(state: ChainState, root: string): void {
  const { stack } = state;
  pushFrame(state, root);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    // Visit the aliases this one names first, one at a time.
    const next = nextAliasToVisit(state, frame);
    if (next !== undefined) {
      pushFrame(state, next);
      continue;
    }
    stack.pop();
    state.onStack.delete(frame.alias);
    state.resolved.set(frame.alias, finishAlias(state, frame.alias));
  }
}

function pushFrame(state: ChainState, alias: string): void {
  const entry = state.options.aliases.get(alias);
  state.onStack.set(alias, state.stack.length);
  state.stack.push({ alias, targets: entry?.alias.targets ?? [], next: 0 });
}

/**
 * Moves `frame.next` to its first target that is an alias neither finished nor on the stack, and
 * returns that alias (`frame.next` stays on it: once finished, it is passed over).
 */
function nextAliasToVisit(state: ChainState, frame: Frame): string | undefined {
  const { upstreams, aliases } = state.options;
  while (frame.next < frame.targets.length) {
    const reference = frame.targets[frame.next] as string;
    if (
      !upstreams.has(reference) &&
      aliases.has(reference) &&
      !state.resolved.has(reference) &&
      !state.onStack.has(reference)
    ) {
      return reference;
    }
    frame.next += 1;
  }
  return undefined;
}

/** Every target of `alias` is resolved (or on the stack: a cycle): build its chain. */
function finishAlias(state: ChainState, alias: string): Resolved | 'failed' {
  const entry = state.options.aliases.get(alias);
  if (entry === undefined) return 'failed';
  return finishChain(state, {
    alias,
    label: `alias "${alias}"`,
    references: entry.alias.targets,
    path: (index) =>
      entry.shorthand === true ? ['models', alias] : ['models', alias, 'targets', index],
  });
}

/** Builds and checks one chain of target references (an alias's `targets` or a `when` entry's). */
function finishChain(
  state: ChainState,
  options: {
    alias: string;
    label: string;
    references: readonly string[];
    path: (index: number) => (string | number)[];
  },
): Resolved | 'failed' {
  const { alias, label } = options;
  const draft: ChainDraft = { alias, label, chain: [], depth: 0, deepest: undefined, ok: true };
  for (const [index, reference] of options.references.entries()) {
    addTarget(state, draft, { reference, path: options.path(index) });
  }
  if (!draft.ok) return 'failed';
  return checkChain(state, draft);
}

/** Adds one target: an upstream, a nested alias's chain, or an inline `<gateway>:<model>`. */
function addTarget(state: ChainState, draft: ChainDraft, target: TargetReference): void {
  const { upstreams, aliases, report } = state.options;
  const { reference, path } = target;
  if (upstreams.has(reference)) {
    draft.chain.push({ name: reference, path });
    return;
  }
  if (aliases.has(reference)) {
    spliceAlias(state, draft, target);
    return;
  }
  if (reference.indexOf(':') > 0) {
    addInlineTarget(state, draft, target);
    return;
  }
  state.knownIndex ??= createNameIndex([...upstreams, ...aliases.keys()]);
  report(
    'UNKNOWN_REFERENCE',
    path,
    `unknown target "${reference}"${hint(state.knownIndex.suggest(reference))}; a target is an upstream, an alias or <gateway>:<model> (upstreams: ${listNames([...upstreams])})`,
  );
  draft.ok = false;
}

/** Splices in the chain of a nested alias, finished already unless it closes a cycle. */
function spliceAlias(state: ChainState, draft: ChainDraft, target: TargetReference): void {
  const { reference, path } = target;
  const at = state.onStack.get(reference);
  // A `when` entry naming its own alias (label differs) splices in the alias's targets.
  if ((reference === draft.alias && draft.label === `alias "${reference}"`) || at !== undefined) {
    const names = [...state.stack.slice(at ?? state.stack.length).map((item) => item.alias)];
    const { report } = state.options;
    report(
      'FALLBACK_CYCLE',
      path,
      `fallback cycle: ${formatCycle([...names, draft.alias, reference])}; remove one of these targets`,
    );
    draft.ok = false;
    return;
  }
  const nested = state.resolved.get(reference);
  if (nested === undefined || nested === 'failed') {
    draft.ok = false; // reported where it is written
    return;
  }
  for (const nestedTarget of nested.chain) draft.chain.push({ ...nestedTarget, path });
  if (nested.depth + 1 > draft.depth) {
    draft.depth = nested.depth + 1;
    draft.deepest = { reference, path };
  }
}

/** Adds `<gateway>:<model>`, an upstream declared inline. */
function addInlineTarget(state: ChainState, draft: ChainDraft, target: TargetReference): void {
  const { gateways, gatewayNames, report } = state.options;
  const { reference, path } = target;
  const colon = reference.indexOf(':');
  const gateway = reference.slice(0, colon);
  const model = reference.slice(colon + 1);
  if (!gateways.has(gateway)) {
    draft.ok = false;
    // A declared gateway that failed to compile has its own issue already.
    if (gatewayNames.includes(gateway)) return;
    state.gatewayIndex ??= createNameIndex(gatewayNames);
    const suggestion = state.gatewayIndex.suggest(gateway);
    report(
      'UNKNOWN_REFERENCE',
      path,
      `unknown gateway "${gateway}" in "${reference}"${hint(suggestion)}; gateways: ${listNames(gatewayNames)}`,
    );
  } else if (model === '') {
    report('INVALID_VALUE', path, `"${reference}" names no model; write ${gateway}:<model>`);
    draft.ok = false;
  } else {
    draft.chain.push({ name: reference, path, inline: { gateway, model } });
  }
}

/** The whole chain's limits: nesting depth, each upstream once, length. */
function checkChain(state: ChainState, draft: ChainDraft): Resolved | 'failed' {
  const { report } = state.options;
  const { alias, depth, deepest } = draft;
  if (depth > maxAliasDepth && deepest !== undefined) {
    report(
      'INVALID_VALUE',
      deepest.path,
      `${draft.label} nests aliases ${depth} deep through "${deepest.reference}"; the limit is ${maxAliasDepth}: name upstreams here instead of aliases that name aliases`,
    );
    return 'failed';
  }
  const unique = withoutDuplicates(state, draft);
  if (unique === undefined) return 'failed';
  if (unique.length > maxChainLength) {
    report(
      'INVALID_VALUE',
      ['models', alias],
      `the chain of ${draft.label} has ${unique.length} targets after splicing nested aliases; the limit is ${maxChainLength}`,
    );
    return 'failed';
  }
  return { chain: unique, depth };
}

/** The chain, or undefined after reporting every upstream that appears in it twice. */
function withoutDuplicates(state: ChainState, draft: ChainDraft): ChainTarget[] | undefined {
  const { report } = state.options;
  const seen = new Set<string>();
  const unique: ChainTarget[] = [];
  let ok = true;
  for (const target of draft.chain) {
    if (seen.has(target.name)) {
      report(
        'DUPLICATE_TARGET',
        [...target.path],
        `upstream "${target.name}" appears more than once in the chain of ${draft.label}; a target is tried once, with its retries`,
      );
      ok = false;
      continue;
    }
    seen.add(target.name);
    unique.push(target);
  }
  return ok ? unique : undefined;
}

function hint(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

/** `a → b → a`, shortened in the middle when long. */
function formatCycle(names: readonly string[]): string {
  if (names.length <= 12) return names.join(' → ');
  return [...names.slice(0, 5), `… ${names.length - 10} more`, ...names.slice(-5)].join(' → ');
}
