/**
 * What a call cost: the serving attempt's token usage at its upstream's `price` (USD per million
 * tokens). Prompt tokens the provider reports as cached (`cachedInputTokens`) are charged at
 * `cachedInput`. Undefined when the upstream has no price or the gateway reported no usage.
 */
import type { UpstreamPrice } from '../config/route-table.ts';
import type { TokenUsage } from './types.ts';

const perMillion = 1_000_000;

/** The cost in USD of `usage` at `price`, or undefined when either is unknown. */
export function costOf(
  usage: TokenUsage | undefined,
  price: UpstreamPrice | undefined,
): number | undefined {
  if (usage === undefined || price === undefined) return undefined;
  const { inputTokens, outputTokens } = usage;
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  const input = inputTokens ?? 0;
  const cached = Math.min(usage.cachedInputTokens ?? 0, input);
  return (
    ((input - cached) * price.input +
      cached * price.cachedInput +
      (outputTokens ?? 0) * price.output) /
    perMillion
  );
}
