/**
 * Vercel AI Gateway (`https://ai-gateway.vercel.sh/v1`): bearer auth, provider routing as
 * `providerOptions.gateway` in the body, attribution as `http-referer` / `x-title`.
 */

import type { VercelGateway } from '../config/config.generated.ts';
import { Secret } from '../secret.ts';
import { bearerGateway } from './openai-compatible.ts';
import { routingForWire } from './routing.ts';
import type { GatewayAdapter } from './types.ts';

/** The Vercel AI Gateway adapter. */
export const vercelAdapter: GatewayAdapter = {
  ...bearerGateway,
  type: 'vercel',
  label: 'Vercel',
  defaultBaseURL: () => 'https://ai-gateway.vercel.sh/v1',
  optionKeys: new Set(['routing', 'attribution']),
  compileGateway: ({ input, baseURL, compileOptions }) => ({
    baseURL,
    auth: { mode: 'bearer', apiKey: new Secret((input as VercelGateway).apiKey) },
    options: compileOptions((input as VercelGateway).options),
  }),
  // The emulator's Vercel personality fails the way Vercel does.
  emulatorPath: '/vercel/v1',
  emulatorHint: ({ origin, gateway }) =>
    `${origin}/vercel/v1${gateway === undefined ? '   (fails the way Vercel does)' : ''}`,
  emulatorRouteName: () => 'vercel',
  requestExtras: ({ options }) => {
    const headers: Record<string, string> = {};
    if (options.attribution?.url !== undefined) headers['http-referer'] = options.attribution.url;
    if (options.attribution?.title !== undefined) headers['x-title'] = options.attribution.title;
    const routing = options.routing === undefined ? {} : routingForWire('vercel', options.routing);
    const body = Object.keys(routing).length === 0 ? {} : { providerOptions: { gateway: routing } };
    return { headers, body };
  },
};
