/**
 * Vercel AI Gateway: bearer auth, provider routing as `providerOptions.gateway` in the body,
 * attribution as `http-referer` / `x-title`.
 */

import { bearerClientSetup } from './openai-compatible.ts';
import { routingForWire } from './routing.ts';
import type { GatewayAdapter } from './types.ts';

/** The Vercel AI Gateway adapter. */
export const vercelAdapter: GatewayAdapter = {
  type: 'vercel',
  clientSetup: ({ gateway }) => bearerClientSetup(gateway),
  requestExtras: ({ options }) => {
    const headers: Record<string, string> = {};
    if (options.attribution?.url !== undefined) headers['http-referer'] = options.attribution.url;
    if (options.attribution?.title !== undefined) headers['x-title'] = options.attribution.title;
    const routing = options.routing === undefined ? {} : routingForWire('vercel', options.routing);
    const body = Object.keys(routing).length === 0 ? {} : { providerOptions: { gateway: routing } };
    return { headers, body };
  },
};
