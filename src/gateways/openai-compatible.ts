/**
 * Any OpenAI-compatible endpoint: `baseURL`, an optional bearer key, extra headers. Vercel and
 * OpenRouter build on the bearer helpers here.
 */
import type { GatewayRoute } from '../config/route-table.ts';
import { Secret } from '../secret.ts';
import { checkHeaderValue } from './config-issues.ts';
import type { ClientSetup, CompileGatewayPartsOptions, GatewayAdapter } from './types.ts';
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

/** The parts of a bearer-key gateway shared by Vercel, OpenRouter and OpenAI-compatible. */
export const bearerGateway = {
  credentialKeys: 'apiKey',
  checkCredentials: ({ input, path, report }) => {
    checkHeaderValue({
      value: (input as { apiKey?: unknown }).apiKey,
      path: [...path, 'apiKey'],
      what: 'apiKey',
      report,
    });
  },
  checkUpstream: () => ({}),
  clientSetup: ({ gateway }) => bearerClientSetup(gateway),
} as const satisfies Partial<GatewayAdapter>;

/** The bearer auth of a gateway whose `apiKey` may be absent. */
export function bearerAuth(options: Pick<CompileGatewayPartsOptions, 'input'>) {
  const apiKey = (options.input as { apiKey?: string }).apiKey;
  return apiKey === undefined
    ? ({ mode: 'bearer' } as const)
    : ({ mode: 'bearer', apiKey: new Secret(apiKey) } as const);
}

/** The OpenAI-compatible adapter. */
export const openaiCompatibleAdapter: GatewayAdapter = {
  ...bearerGateway,
  type: 'openai-compatible',
  label: 'OpenAI-compatible',
  // The schema requires a baseURL for this type.
  defaultBaseURL: () => '',
  optionKeys: new Set(),
  compileGateway: (options) => ({
    baseURL: options.baseURL,
    auth: bearerAuth(options),
    options: options.compileOptions(undefined),
  }),
  emulatorPath: undefined,
  emulatorHint: ({ origin, gateway }) =>
    gateway === undefined
      ? `${origin}/v1`
      : `${origin}${new URL(gateway.baseURL).pathname.replace(/\/$/, '')}`,
  emulatorRouteName: () => 'openai',
  requestExtras: () => ({ headers: {}, body: {} }),
};
