/**
 * Calls an observability hook so that nothing it does can change a call or end the process: its
 * state is a frozen snapshot, an exception it throws and a promise it rejects are both caught,
 * and the first failure of each hook of a router is reported once as a process warning (code
 * `SWITCHYARD_HOOK_FAILED`; `console.warn` where there is no `process`). Later failures of the
 * same hook are ignored, so a hook that always fails cannot flood the log.
 */
import type { RouterHooks } from './types.ts';

/** The warning code a failing hook is reported under. */
export const hookFailureCode = 'SWITCHYARD_HOOK_FAILED';

type HookName = keyof RouterHooks;

/** Hooks already reported, per hooks object (a router's options). */
const reported = new WeakMap<object, Set<HookName>>();

/** On a hooks object that wraps a router's own (per call): the router's hooks. */
export const hooksOrigin = Symbol('switchyard.hooksOrigin');

/** Options of {@link runHook}. */
export type RunHookOptions<K extends HookName> = {
  hooks: RouterHooks;
  name: K;
  /** The state, frozen before the hook sees it. */
  state: Parameters<NonNullable<RouterHooks[K]>>[0];
};

/** Calls `hooks[name](state)` if it is set; never throws, never leaves a rejection unhandled. */
export function runHook<K extends HookName>(options: RunHookOptions<K>): void {
  const hook = options.hooks[options.name] as ((state: unknown) => unknown) | undefined;
  if (hook === undefined) return;
  try {
    const result = hook(Object.freeze(options.state));
    if (isThenable(result)) {
      result.then(undefined, (reason: unknown) => report(options.hooks, options.name, reason));
    }
  } catch (error) {
    report(options.hooks, options.name, error);
  }
}

function report(hooks: RouterHooks, name: HookName, reason: unknown): void {
  const owner = (hooks as { [hooksOrigin]?: RouterHooks })[hooksOrigin] ?? hooks;
  let names = reported.get(owner);
  if (names === undefined) {
    names = new Set();
    reported.set(owner, names);
  }
  if (names.has(name)) return;
  names.add(name);
  try {
    const what = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
    const message = `hook ${name} failed (the call is not affected; later failures of this hook are not reported): ${what}`;
    const process = (
      globalThis as {
        process?: { emitWarning?: (message: string, options: { code: string }) => void };
      }
    ).process;
    if (typeof process?.emitWarning === 'function') {
      process.emitWarning(message, { code: hookFailureCode });
    } else {
      console.warn(`${hookFailureCode}: ${message}`);
    }
  } catch {
    // Reporting must not fail the call either.
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
