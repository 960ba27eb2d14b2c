/**
 * The fault rules of one emulator, in order: the first live rule that matches a request gives
 * its fault, and counts against the rule's `times`.
 */
import {
  type FaultHandle,
  type FaultRule,
  type FaultTarget,
  isStreamFault,
  type SelectedFault,
} from './faults.ts';
import { parseFaultRule } from './parse-fault.ts';

function matches(options: { rule: FaultRule; target: FaultTarget }): boolean {
  const { rule, target } = options;
  const match = rule.match ?? {};
  if (match.model !== undefined && match.model !== target.model) return false;
  if (match.path !== undefined && !target.path.includes(match.path)) return false;
  if (
    match.gateway !== undefined &&
    match.gateway !== target.gateway &&
    match.gateway !== target.kind &&
    match.gateway !== target.personality
  ) {
    return false;
  }
  if (match.stream !== undefined && match.stream !== target.stream) return false;
  // A stream fault cannot be expressed in a JSON response, so it leaves non-streaming requests
  // alone and keeps its `times` for the streaming request it was meant for.
  if (rule.fault.type === 'body-cut' && target.stream) return false;
  return target.stream || !isStreamFault(rule.fault);
}

type RuleState = { id: number; rule: FaultRule; applied: number; remaining: number | undefined };

/** The ordered, mutable set of fault rules of one emulator. */
export type FaultRegistry = {
  /** Validates and appends a rule. */
  add(rule: FaultRule): FaultHandle;
  /** Removes every rule. */
  clear(): void;
  /**
   * Returns the fault of the first live rule (in insertion order) that matches, and counts the
   * application against the rule's `times`.
   */
  take(target: FaultTarget): SelectedFault | undefined;
};

/** Creates an empty {@link FaultRegistry}. */
export function createFaultRegistry(): FaultRegistry {
  let rules: RuleState[] = [];
  let nextId = 1;
  const remove = (state: RuleState) => {
    rules = rules.filter((candidate) => candidate !== state);
  };
  return {
    add(rule) {
      const parsed = parseFaultRule(rule);
      const state: RuleState = { id: nextId++, rule: parsed, applied: 0, remaining: parsed.times };
      if (state.remaining !== 0) {
        rules.push(state);
      }
      return {
        id: state.id,
        get applied() {
          return state.applied;
        },
        get remaining() {
          return state.remaining;
        },
        remove: () => remove(state),
      };
    },
    clear() {
      rules = [];
    },
    take(target) {
      const state = rules.find((candidate) => matches({ rule: candidate.rule, target }));
      if (state === undefined) return undefined;
      state.applied += 1;
      if (state.remaining !== undefined) {
        state.remaining -= 1;
        if (state.remaining === 0) {
          remove(state);
        }
      }
      return { fault: state.rule.fault, ruleId: state.id };
    },
  };
}
