/**
 * An alias's `strategy`: `ordered` (the default, targets as listed) or `weighted` (load
 * balancing: each call draws its order by the targets' weights). Targets may be written
 * `{ target, weight }`; this module splits them into plain references and weights, and checks
 * the weights against the strategy.
 */
import type { ConfigIssueCode } from '../errors.ts';
import type { Alias } from './config.generated.ts';

/** An alias's targets as plain references, with the weight written on each (if any). */
export type SplitTargets = {
  readonly references: readonly string[];
  readonly weights: readonly (number | undefined)[];
};

/** Splits `targets` into references and weights. */
export function splitTargets(targets: Alias['targets']): SplitTargets {
  const references: string[] = [];
  const weights: (number | undefined)[] = [];
  for (const target of targets) {
    if (typeof target === 'string') {
      references.push(target);
      weights.push(undefined);
    } else {
      references.push(target.target);
      weights.push(target.weight);
    }
  }
  return { references, weights };
}

/** Options of {@link compileStrategy}. */
export type CompileStrategyOptions = {
  /** The alias's name. */
  name: string;
  strategy: Alias['strategy'];
  /** Weights as written, by index in `targets`. */
  weights: readonly (number | undefined)[];
  /** The flat chain: each upstream with the index of the `targets` entry it came from. */
  chain: readonly { readonly name: string; readonly index: number }[];
  report: (code: ConfigIssueCode, path: (string | number)[], message: string) => void;
};

/**
 * The compiled strategy: undefined for `ordered`, or the weight of each chain entry (a nested
 * alias's weight applies to each of its targets; unset weights are 1).
 */
export function compileStrategy(options: CompileStrategyOptions): readonly number[] | undefined {
  const { name, weights, report } = options;
  if (options.strategy !== 'weighted') {
    weights.forEach((weight, index) => {
      if (weight !== undefined) {
        report(
          'OPTION_NOT_APPLICABLE',
          ['models', name, 'targets', index, 'weight'],
          `weight applies with strategy: weighted; add strategy: weighted to alias "${name}", or remove the weight`,
        );
      }
    });
    return undefined;
  }
  const compiled = options.chain.map((entry) => weights[entry.index] ?? 1);
  if (!compiled.some((weight) => weight > 0)) {
    report(
      'INVALID_VALUE',
      ['models', name, 'targets'],
      `alias "${name}" uses strategy: weighted but every weight is 0; give at least one target a weight above 0`,
    );
    return undefined;
  }
  return Object.freeze(compiled);
}
