/**
 * A config's Cloudflare gateways as the emulator should enforce them (the gateway token or the
 * API token, the stored keys its upstreams rely on), so `switchyard emulate` and the demo accept
 * exactly what the real gateway would.
 */
import type { RouteTable } from '../config/route-table.ts';
import type { EmulatedGatewayOptions, EmulatorCloudflareOptions } from '../emulator/index.ts';

/** Emulator options by `accountId/gatewayId`, for every Cloudflare gateway of a config. */
export function emulatedGateways(table: RouteTable): Record<string, EmulatedGatewayOptions> {
  const gateways: Record<string, EmulatedGatewayOptions> = {};
  for (const gateway of Object.values(table.gateways)) {
    const location = gateway.cloudflare;
    if (gateway.type !== 'cloudflare' || location === undefined) continue;
    const key = `${location.accountId}/${location.gatewayId ?? 'default'}`;
    const auth = gateway.auth;
    const providers = Object.values(table.upstreams)
      .filter((upstream) => upstream.gateway === gateway.name && upstream.provider !== undefined)
      .map((upstream) => upstream.provider as string)
      .filter((provider) => provider !== 'dynamic' && provider !== '@cf');
    gateways[key] =
      auth.mode === 'stored-keys' || auth.mode === 'api-token'
        ? {
            ...(auth.mode === 'stored-keys' ? { token: auth.token.reveal() } : {}),
            storedKeys: [...new Set(providers)],
            unifiedBilling: auth.unifiedBilling,
          }
        : auth.mode === 'provider-keys+token'
          ? { token: auth.token.reveal() }
          : {};
  }
  return gateways;
}

/** The emulator's Cloudflare settings for a config: its gateways and its REST API tokens. */
export function emulatedCloudflare(table: RouteTable): EmulatorCloudflareOptions {
  const apiTokens = Object.values(table.gateways).flatMap((gateway) =>
    gateway.auth.mode === 'api-token' ? [gateway.auth.token.reveal()] : [],
  );
  return {
    gateways: emulatedGateways(table),
    ...(apiTokens.length === 0 ? {} : { apiTokens: [...new Set(apiTokens)] }),
  };
}
