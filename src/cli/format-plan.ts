/**
 * `switchyard plan`: a plan as readable text, with the worst case (requests and time) and
 * warnings about targets the deadline can never reach.
 */
import { maxBackoffMs } from '../config/attempt-share.ts';
import { formatDuration } from '../config/duration.ts';
import type { Plan } from '../router/types.ts';
import type { Paint } from './output.ts';

/** A warning about a plan. */
export type PlanWarning = { readonly target: number; readonly message: string };

/**
 * Targets that cannot be reached within the deadline when every earlier target times out on
 * every attempt (the worst case the chain exists for).
 */
export function findPlanWarnings(plan: Plan): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  const { retry, timeouts } = plan;
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
  return lines;
}

/** The call's lines: retries, timeouts, the failure policy and the worst case. */
function formatPolicy(plan: Plan): string[] {
  const { retry, timeouts } = plan;
  const backoff =
    retry.attempts > 1
      ? `, backoff ${formatDuration(retry.initialDelayMs)} ×${retry.factor} up to ${formatDuration(retry.maxDelayMs)}${retry.jitter ? ' with jitter' : ''}`
      : '';
  const extra = [
    `attempt ${formatDuration(timeouts.attemptMs)}`,
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
    `  worst case ${plan.worstCase.requests} request${plan.worstCase.requests === 1 ? '' : 's'}, ${formatDuration(plan.worstCase.timeMs)}`,
  ];
}
