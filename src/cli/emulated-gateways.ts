/**
 * A config's gateways as the emulator should enforce them: its Cloudflare gateways' token or
 * API token and the stored keys their upstreams rely on (the Cloudflare gateway module says
 * what that is), and for the other gateways whether one is keyless (a local server such as
 * Ollama), so `switchyard emulate` and the demo accept what the real gateways would.
 */
import type { RouteTable } from '../config/route-table.ts';
import type {
  EmulatedGatewayOptions,
  EmulatorCloudflareOptions,
  EmulatorOptions,
} from '../emulator/index.ts';
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

/**
 * The emulator's OpenAI-compatible settings for a config: requests without a key are served
 * when a gateway of the config sends none (an `openai-compatible` gateway without `apiKey`, as
 * for a local model server). A key that is sent is still required to be non-empty.
 */
export function emulatedOpenAICompatible(
  table: RouteTable,
): Pick<EmulatorOptions, 'allowMissingApiKey'> {
  const keyless = Object.values(table.gateways).some(
    (gateway) =>
      gateway.type !== 'cloudflare' &&
      (gateway.auth.mode !== 'bearer' || gateway.auth.apiKey === undefined),
  );
  return keyless ? { allowMissingApiKey: true } : {};
}
