/**
 * A config's Cloudflare gateways as the emulator should enforce them (the gateway token, the
 * stored keys its upstreams rely on), so `switchyard emulate` and the demo accept exactly what
 * the real gateway would.
 */
import type { RouteTable } from '../config/route-table.ts';
import type { EmulatedGatewayOptions } from '../emulator/index.ts';

/** Emulator options by `accountId/gatewayId`, for every Cloudflare gateway of a config. */
export function emulatedGateways(table: RouteTable): Record<string, EmulatedGatewayOptions> {
  const gateways: Record<string, EmulatedGatewayOptions> = {};
  for (const gateway of Object.values(table.gateways)) {
    if (gateway.type !== 'cloudflare') continue;
    const match = /\/v1\/([^/]+)\/([^/]+)\/compat$/.exec(new URL(gateway.baseURL).pathname);
    if (match === null) continue;
    const key = `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`;
    const auth = gateway.auth;
    const providers = Object.values(table.upstreams)
      .filter((upstream) => upstream.gateway === gateway.name && upstream.provider !== undefined)
      .map((upstream) => upstream.provider as string);
    gateways[key] =
      auth.mode === 'stored-keys'
        ? {
            token: auth.token.reveal(),
            storedKeys: [...new Set(providers)],
            unifiedBilling: auth.unifiedBilling,
          }
        : auth.mode === 'provider-keys+token'
          ? { token: auth.token.reveal() }
          : {};
  }
  return gateways;
}
