/**
 * Routing options per gateway type (`routing:` in an alias or upstream): which keys each type
 * takes, which `sort` values it knows, and how they are written on the wire. The compile step
 * checks a config against these; the adapters send them.
 */
import type { GatewayType } from '../config/route-table.ts';

/** The `routing` keys each gateway type takes. */
export const routingKeys: Readonly<Record<GatewayType, ReadonlySet<string>>> = {
  cloudflare: new Set(),
  'openai-compatible': new Set(),
  vercel: new Set(['order', 'only', 'models', 'sort']),
  openrouter: new Set([
    'order',
    'only',
    'ignore',
    'allowFallbacks',
    'requireParameters',
    'dataCollection',
    'zdr',
    'sort',
    'quantizations',
  ]),
};
/**
 * `routing.sort` values per gateway type: Vercel's (cost, ttft, tps; vercel.com/changelog
 * "Sort providers by cost, latency, or throughput on AI Gateway") and OpenRouter's.
 */
export const sortValues: Readonly<Partial<Record<GatewayType, ReadonlySet<string>>>> = {
  vercel: new Set(['cost', 'ttft', 'tps']),
  openrouter: new Set(['price', 'throughput', 'latency']),
};

/** Whether a `routing.sort` value is one this gateway type knows. */
export function sortFits(type: GatewayType, value: unknown): boolean {
  return typeof value === 'string' && sortValues[type]?.has(value) === true;
}

const openrouterWireNames: Readonly<Record<string, string>> = {
  allowFallbacks: 'allow_fallbacks',
  requireParameters: 'require_parameters',
  dataCollection: 'data_collection',
};
/** The wire form of routing options for one gateway type. */
export function routingForWire(
  type: GatewayType,
  routing: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(routing)) {
    if (!routingKeys[type].has(key)) continue;
    // A sort written for another gateway type of the same alias is not sent here.
    if (key === 'sort' && !sortFits(type, value)) continue;
    wire[type === 'openrouter' ? (openrouterWireNames[key] ?? key) : key] = value;
  }
  return wire;
}
