/**
 * Any OpenAI-compatible endpoint: `baseURL`, an optional bearer key, extra headers.
 * The other adapters build on `bearerClientSetup`.
 */
import type { GatewayRoute } from '../config/route-table.ts';
import type { ClientSetup, GatewayAdapter } from './types.ts';
import { noKeyPlaceholder } from './types.ts';

/** Client setup for bearer-key gateways; without a key no `Authorization` header is sent. */
export function bearerClientSetup(gateway: GatewayRoute): ClientSetup {
  const { headers, secrets } = staticHeaders(gateway);
  if (gateway.auth.mode !== 'bearer' || gateway.auth.apiKey === undefined) {
    return {
      gateway: gateway.name,
      key: gateway.name,
      apiKey: noKeyPlaceholder,
      baseURL: gateway.baseURL,
      defaultHeaders: { ...headers, authorization: null },
      secrets,
    };
  }
  const apiKey = gateway.auth.apiKey.reveal();
  return {
    gateway: gateway.name,
    key: gateway.name,
    apiKey,
    baseURL: gateway.baseURL,
    defaultHeaders: headers,
    secrets: [...secrets, apiKey],
  };
}

/** The gateway's configured `headers`, revealed, with their values listed as secrets. */
export function staticHeaders(gateway: GatewayRoute): {
  headers: Record<string, string>;
  secrets: string[];
} {
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(gateway.headers)) {
    const text = typeof value === 'string' ? value : value.reveal();
    headers[name] = text;
    secrets.push(text);
  }
  return { headers, secrets };
}

/** The OpenAI-compatible adapter. */
export const openaiCompatibleAdapter: GatewayAdapter = {
  type: 'openai-compatible',
  clientSetup: ({ gateway }) => bearerClientSetup(gateway),
  requestExtras: () => ({ headers: {}, body: {} }),
};
