/**
 * A config's Cloudflare gateways as the emulator should enforce them (the gateway token or the
 * API token, the stored keys its upstreams rely on), so `switchyard emulate` and the demo accept
 * exactly what the real gateway would. The Cloudflare gateway module says what that is.
 */
import type { RouteTable } from '../config/route-table.ts';
import type { EmulatedGatewayOptions, EmulatorCloudflareOptions } from '../emulator/index.ts';
import { cloudflareEmulation } from '../gateways/cloudflare-config.ts';

/** Emulator options by `accountId/gatewayId`, for every Cloudflare gateway of a config. */
export function emulatedGateways(table: RouteTable): Record<string, EmulatedGatewayOptions> {
  return cloudflareEmulation(table).gateways;
}

/** The emulator's Cloudflare settings for a config: its gateways and its REST API tokens. */
export function emulatedCloudflare(table: RouteTable): EmulatorCloudflareOptions {
  const { gateways, apiTokens } = cloudflareEmulation(table);
  return { gateways, ...(apiTokens.length === 0 ? {} : { apiTokens }) };
}
