/**
 * The adapter registry: gateway type → adapter. Its keys are checked against the schema's
 * gateway type enum by a test, so a new type cannot be half-added.
 */
import type { GatewayType, TargetOptions } from '../config/route-table.ts';
import { cloudflareAdapter } from './cloudflare.ts';
import { openaiCompatibleAdapter } from './openai-compatible.ts';
import { openrouterAdapter } from './openrouter.ts';
import type { GatewayAdapter } from './types.ts';
import { vercelAdapter } from './vercel.ts';

/** Adapters by gateway type. */
export const gatewayAdapters: Readonly<Record<GatewayType, GatewayAdapter>> = Object.freeze({
  cloudflare: cloudflareAdapter,
  vercel: vercelAdapter,
  openrouter: openrouterAdapter,
  'openai-compatible': openaiCompatibleAdapter,
});

/** Merges option layers, later ones winning; `metadata`, `routing` and `attribution` merge by key. */
export function mergeTargetOptions(...layers: readonly TargetOptions[]): TargetOptions {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (
        (key === 'metadata' || key === 'routing' || key === 'attribution') &&
        typeof merged[key] === 'object'
      ) {
        merged[key] = { ...(merged[key] as object), ...(value as object) };
      } else {
        merged[key] = value;
      }
    }
  }
  return merged as TargetOptions;
}
