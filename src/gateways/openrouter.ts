/**
 * OpenRouter: bearer auth, provider routing as the `provider` body object (snake_case on the
 * wire), attribution as `HTTP-Referer` and `X-OpenRouter-Title` (plus the older `X-Title`).
 */

import { bearerClientSetup } from './openai-compatible.ts';
import { routingForWire } from './routing.ts';
import type { GatewayAdapter } from './types.ts';

/** The OpenRouter adapter. */
export const openrouterAdapter: GatewayAdapter = {
  type: 'openrouter',
  clientSetup: ({ gateway }) => bearerClientSetup(gateway),
  requestExtras: ({ options }) => {
    const headers: Record<string, string> = {};
    if (options.attribution?.url !== undefined) headers['http-referer'] = options.attribution.url;
    if (options.attribution?.title !== undefined) {
      headers['x-openrouter-title'] = options.attribution.title;
      headers['x-title'] = options.attribution.title;
    }
    const routing =
      options.routing === undefined ? {} : routingForWire('openrouter', options.routing);
    const body = Object.keys(routing).length === 0 ? {} : { provider: routing };
    return { headers, body };
  },
};
