/**
 * `switchyard plan`: a plan as readable text, with which failure leads where ("reach"), the
 * worst case (requests and time) and warnings about targets the deadline can never reach.
 */
import { maxBackoffMs } from '../config/attempt-share.ts';
import { formatDuration } from '../config/duration.ts';
import type { ErrorAction } from '../config/route-table.ts';
import type { Plan } from '../router/types.ts';
import type { Paint } from './output.ts';

/** A warning about a plan. */
export type PlanWarning = { readonly target: number; readonly message: string };

/**
 * The shortest share of the deadline (ms) below which `validate` and `plan` warn: a non-streamed
 * answer arrives whole, after the model has written it (30 to 60 s is common for long answers),
 * so a target handed over sooner cuts such answers off.
 */
export const shortShareMs = 30_000;

/**
 * Warnings about a plan: targets that cannot be reached within the deadline when every earlier
 * target times out on every attempt (the worst case the chain exists for), with a set
 * `timeout.attempt`; without one, a share of the deadline so short that a long non-streamed
 * answer is cut off before the next target takes over.
 */
export function findPlanWarnings(plan: Plan): PlanWarning[] {
  const warnings: PlanWarning[] = shrinkingWindows(plan.targets);
  const { retry, timeouts } = plan;
  const count = plan.targets.length;
  if (timeouts.handOver === true) {
    const shareMs = Math.floor(timeouts.totalMs / count);
    const first = plan.targets[0];
    if (count > 1 && first !== undefined && first.attemptMs === undefined && shareMs < shortShareMs)
      warnings.push({
        target: 0,
        message: `target 1 (${first.upstream}) hands over after ${formatDuration(shareMs)} without an answer (its share of the ${formatDuration(timeouts.totalMs)} deadline over ${count} targets): a non-streamed answer that takes longer is cut off and asked again of the next target. Raise timeout.total (${formatDuration(count * shortShareMs)} gives each target ${formatDuration(shortShareMs)}).`,
      });
    return warnings;
  }
  let before = 0;
  plan.targets.forEach((target, index) => {
    if (index > 0 && before >= timeouts.totalMs) {
      warnings.push({
        target: index,
        message: `target ${index + 1} (${target.upstream}) is never reached when earlier targets time out: they can take ${formatDuration(before)}, the deadline is ${formatDuration(timeouts.totalMs)}. Lower timeout.attempt or retry.attempts, or raise timeout.total.`,
      });
    }
    before += retry.attempts * (target.attemptMs ?? timeouts.attemptMs) + maxBackoffMs(retry);
  });
  return warnings;
}

/**
 * Targets whose declared context window is smaller than an earlier target's: a request too long
 * for the earlier one is too long for them too, so they back it up only for shorter requests.
 */
function shrinkingWindows(targets: Plan['targets']): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  let largest: { index: number; upstream: string; window: number } | undefined;
  targets.forEach((target, index) => {
    const window = target.contextWindow;
    if (window === undefined) return;
    if (largest !== undefined && window < largest.window) {
      warnings.push({
        target: index,
        message: `target ${index + 1} (${target.upstream}) has a smaller context window (${window} tokens) than target ${largest.index + 1} (${largest.upstream}, ${largest.window}): a request too long for target ${largest.index + 1} skips it, so it backs target ${largest.index + 1} up only for shorter ones. Put larger windows later in the chain if long requests should fall back.`,
      });
    }
    if (largest === undefined || window > largest.window)
      largest = { index, upstream: target.upstream, window };
  });
  return warnings;
}

/** Error classes by what the plan's policy does with them. */
function classesBy(plan: Plan, action: ErrorAction): string[] {
  return Object.entries(plan.policy)
    .filter(([, each]) => each === action)
    .map(([errorClass]) => errorClass);
}

/**
 * Which failure of a target leads where: the lines `plan` prints under "reach". Each line names
 * a failure before the answer and what follows it.
 */
export function describeReach(plan: Plan): string[] {
  const { retry, timeouts } = plan;
  const count = plan.targets.length;
  const next = count > 1 ? 'the next target' : 'the call fails';
  const lines: string[] = [];
  if (count > 1) lines.push(`refused, DNS or TLS failure → ${next} at once`);
  if (timeouts.handOver === true) {
    if (count > 1)
      lines.push(
        `no answer within its share of the time left (${formatDuration(Math.floor(timeouts.totalMs / count))} when each earlier target hangs; the last target may use all that is left) → ${next} at once, no retry`,
      );
  } else {
    lines.push(
      `no response within ${formatDuration(timeouts.attemptMs)} (timeout.attempt) → as the policy says for timeout (${plan.policy.timeout})`,
    );
  }
  const retried = classesBy(plan, 'retry');
  if (retried.length > 0)
    lines.push(
      retry.attempts > 1
        ? `${retried.join(', ')} → the same target again (up to ${retry.attempts} attempts), then ${next}`
        : `${retried.join(', ')} → ${next} (retry.attempts is 1)`,
    );
  const passed = classesBy(plan, 'fallback');
  if (passed.length > 0) lines.push(`${passed.join(', ')} → ${next} at once`);
  const stopped = classesBy(plan, 'fail');
  if (stopped.length > 0) lines.push(`${stopped.join(', ')} → the call stops: no later target`);
  lines.push('a request that never left the process → the call stops (INVALID_REQUEST)');
  if (plan.hedge !== undefined && count > 1)
    lines.push(
      `a stream with no content within ${formatDuration(plan.hedge.afterMs)} (hedge.after) → target 2 starts in parallel, the first to send content serves (at most ${Math.round(plan.hedge.maxShare * 100)} % of streamed calls hedged); its request is target 2's first attempt`,
    );
  return lines;
}

/** The plan as text. */
export function formatPlan(options: { plan: Plan; paint: Paint }): string {
  const { plan, paint } = options;
  const kind =
    plan.kind === 'alias'
      ? 'alias'
      : plan.kind === 'direct'
        ? 'direct gateway call'
        : 'default gateway';
  const serves = plan.serves === undefined ? '' : `, serves ${plan.serves}`;
  const lines: string[] = [
    `${paint.bold(plan.model)} ${paint.dim(`(${kind}${serves}, ${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'}${plan.strategy === 'weighted' ? ', weighted: each call draws its order by weight' : ''})`)}`,
  ];
  plan.targets.forEach((target, index) => {
    lines.push('', ...formatTarget({ target, index, paint }));
  });
  if (plan.conditions !== undefined) lines.push('', ...formatConditions(plan.conditions));
  lines.push('', ...formatPolicy(plan));
  for (const warning of findPlanWarnings(plan))
    lines.push('', `  ${paint.yellow('warning:')} ${warning.message}`);
  return `${lines.join('\n')}\n`;
}

type FormatTargetOptions = {
  readonly target: Plan['targets'][number];
  /** 0-based place in the chain. */
  readonly index: number;
  readonly paint: Paint;
};

/** One target's lines: where it goes, with what, and the limits the gateway applies. */
function formatTarget({ target, index, paint }: FormatTargetOptions): string[] {
  const lines = [
    `  ${index + 1}. ${paint.cyan(target.upstream)}  ${target.gateway} (${target.gatewayType}, ${target.authMode})`,
  ];
  if (target.weight !== undefined)
    lines.push(
      target.weight > 0
        ? `     weight   ${target.weight} (starts ${Math.round((target.share ?? 0) * 1000) / 10}% of calls)`
        : '     weight   0 (fallback only)',
    );
  lines.push(`     model    ${target.model}`);
  lines.push(`     url      ${target.url}`);
  const headers = Object.entries(target.headers);
  if (headers.length > 0)
    lines.push(
      `     headers  ${headers.map(([name, value]) => `${name}: ${value}`).join('\n              ')}`,
    );
  if (Object.keys(target.body).length > 0)
    lines.push(`     body     ${JSON.stringify(target.body)}`);
  if (target.attemptMs !== undefined)
    lines.push(
      `     limit    ${formatDuration(target.attemptMs)} per request (the route's model elements run inside the gateway)`,
    );
  if (target.gatewayAttempts > 1)
    lines.push(
      `     gateway  retries inside Cloudflare: up to ${target.gatewayAttempts} attempts per request`,
    );
  if (target.contextWindow !== undefined || target.maxOutputTokens !== undefined)
    lines.push(
      `     window   ${[
        ...(target.contextWindow === undefined ? [] : [`${target.contextWindow} tokens`]),
        ...(target.maxOutputTokens === undefined
          ? []
          : [`output at most ${target.maxOutputTokens} tokens`]),
      ].join(', ')}`,
    );
  if (target.price !== undefined) {
    const { input, output, cachedInput } = target.price;
    lines.push(
      `     price    $${input} in, $${output} out${cachedInput === input ? '' : `, $${cachedInput} cached in`} per million tokens`,
    );
  }
  return lines;
}

/** The alias's `when` entries: what each matches, and the chain it runs instead. */
function formatConditions(conditions: NonNullable<Plan['conditions']>): string[] {
  return conditions.map((condition) => {
    const match = Object.entries(condition.match)
      .map(([field, values]) => `${field} = ${values.map(String).join(' | ')}`)
      .join(', ');
    const chain = condition.targets.map((target) => target.upstream).join(', ');
    return `  when ${match} → ${chain}`;
  });
}

/** The call's lines: retries, timeouts, the failure policy and the worst case. */
function formatPolicy(plan: Plan): string[] {
  const { retry, timeouts } = plan;
  const backoff =
    retry.attempts > 1
      ? `, backoff ${formatDuration(retry.initialDelayMs)} ×${retry.factor} up to ${formatDuration(retry.maxDelayMs)}${retry.jitter ? ' with jitter' : ''}`
      : '';
  const extra = [
    timeouts.handOver === true
      ? 'each target but the last hands over after its share of the time left'
      : `attempt ${formatDuration(timeouts.attemptMs)}`,
    ...(timeouts.firstTokenMs === undefined
      ? []
      : [`first token ${formatDuration(timeouts.firstTokenMs)}`]),
    `stream idle ${formatDuration(timeouts.idleMs)}`,
  ];
  const policy = Object.entries(plan.policy)
    .map(([errorClass, action]) => `${errorClass}→${action}`)
    .join(', ');
  return [
    `  retry     ${retry.attempts} attempt${retry.attempts === 1 ? '' : 's'} per target${backoff}`,
    `  timeout   ${formatDuration(timeouts.totalMs)} for the call (${extra.join(', ')})`,
    `  policy    ${policy}`,
    ...describeReach(plan).map(
      (line, index) => `  ${index === 0 ? 'reach    ' : '         '} ${line}`,
    ),
    `  worst case ${plan.worstCase.requests} request${plan.worstCase.requests === 1 ? '' : 's'}, ${formatDuration(plan.worstCase.timeMs)}`,
  ];
}
