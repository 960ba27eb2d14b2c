/**
 * OpenRouter (`https://openrouter.ai/api/v1`): bearer auth, provider routing as the `provider`
 * body object (snake_case on the wire), attribution as `HTTP-Referer` and `X-OpenRouter-Title`
 * (plus the older `X-Title`).
 */

import type { OpenrouterGateway } from '../config/config.generated.ts';
import { Secret } from '../secret.ts';
import { bearerGateway } from './openai-compatible.ts';
import { routingForWire } from './routing.ts';
import type { GatewayAdapter } from './types.ts';

/** The OpenRouter adapter. */
export const openrouterAdapter: GatewayAdapter = {
  ...bearerGateway,
  type: 'openrouter',
  label: 'OpenRouter',
  defaultBaseURL: () => 'https://openrouter.ai/api/v1',
  optionKeys: new Set(['routing', 'attribution']),
  compileGateway: ({ input, baseURL, compileOptions }) => ({
    baseURL,
    auth: { mode: 'bearer', apiKey: new Secret((input as OpenrouterGateway).apiKey) },
    options: compileOptions((input as OpenrouterGateway).options),
  }),
  emulatorPath: '/api/v1',
  emulatorHint: ({ origin }) => `${origin}/api/v1`,
  emulatorRouteName: () => 'openrouter',
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
