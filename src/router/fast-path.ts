/**
 * Where a call's success path starts: the target it tries first. A call that succeeds first time
 * sends that one attempt itself, in one async function (`runPlain`, `runStream`); anything else
 * (the attempt failed, the target is cooling down) goes to the walker (`walkTargets`), which
 * carries on exactly as if it had sent that attempt itself.
 */
import type { Call } from './call.ts';
import { sizeMismatch } from './request-size.ts';

/**
 * The index of the target a call tries first (its drawn order's first, or the plan's first), or
 * -1 when the request does not fit that target (the walker then records the skip). A call is
 * only sized when its plan declares a window (`plan.sized`): other calls check nothing here.
 */
export function firstIndex<T>(call: Call<T>): number {
  const index = call.order === undefined ? 0 : (call.order[0] ?? 0);
  if (call.size === undefined) return index;
  const target = call.plan.targets[index];
  return target === undefined || sizeMismatch(target, call.size) === undefined ? index : -1;
}
