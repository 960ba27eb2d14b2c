/**
 * The gateway modules as data: every option key of the schema belongs to some gateway type,
 * each type says where the emulator imitates it, and the Cloudflare module's pure checks
 * (provider prefix, merged metadata count, default origin, what the emulator enforces).
 */
import { describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/config/config.generated.ts';
import type { GatewayRoute, TargetOptions, UpstreamRoute } from '../../src/config/route-table.ts';
import {
  cloudflareDefaultBaseURL,
  cloudflareEmulation,
  cloudflareProvider,
  metadataOverflow,
} from '../../src/gateways/cloudflare-config.ts';
import { gatewayAdapters } from '../../src/gateways/index.ts';
import { configSchema } from '../../src/internal/config-schema.generated.ts';
import { Secret } from '../../src/secret.ts';

describe('gateway modules', () => {
  it('together take every option key the schema allows, and the key lists do not overlap', () => {
    const definitions = (configSchema as { definitions: Record<string, { properties?: object }> })
      .definitions;
    const schemaKeys = Object.keys(definitions['targetOptions']?.properties ?? {});
    expect(schemaKeys.length).toBeGreaterThan(10);
    const owners = (key: string) =>
      Object.values(gatewayAdapters).filter((adapter) => adapter.optionKeys.has(key));
    for (const key of schemaKeys) expect(owners(key).length, key).toBeGreaterThan(0);
    // Cloudflare's keys are its own; Vercel and OpenRouter share routing and attribution.
    for (const key of gatewayAdapters.cloudflare.optionKeys) expect(owners(key)).toHaveLength(1);
  });

  it('say what baseURL points a gateway at the emulator', () => {
    const origin = 'http://127.0.0.1:8787';
    const gateway = (type: GatewayRoute['type'], baseURL: string) =>
      ({ name: 'g', type, baseURL }) as GatewayRoute;
    expect(gatewayAdapters.vercel.emulatorHint({ origin, gateway: gateway('vercel', 'x') })).toBe(
      `${origin}/vercel/v1`,
    );
    expect(gatewayAdapters.openrouter.emulatorPath).toBe('/api/v1');
    expect(
      gatewayAdapters['openai-compatible'].emulatorHint({
        origin,
        gateway: gateway('openai-compatible', 'http://localhost:11434/v1/'),
      }),
    ).toBe(`${origin}/v1`);
    // Cloudflare's own account/gateway path follows the origin.
    expect(gatewayAdapters.cloudflare.emulatorPath).toBeUndefined();
    expect(
      gatewayAdapters.cloudflare.emulatorHint({
        origin,
        gateway: gateway('cloudflare', 'https://x/v1/a/g/compat'),
      }),
    ).toBe(origin);
  });
});

describe('the Cloudflare gateway module', () => {
  it('reads the provider prefix of provider/model, or none', () => {
    expect(cloudflareProvider('openai/gpt-4o-mini')).toBe('openai');
    expect(cloudflareProvider('workers-ai/@cf/meta/llama')).toBe('workers-ai');
    expect(cloudflareProvider('gpt-4o-mini')).toBeUndefined();
    expect(cloudflareProvider('/gpt')).toBeUndefined();
    expect(cloudflareProvider('openai/')).toBeUndefined();
  });

  it('counts metadata entries after merging layers by key, over 5 only', () => {
    const layer = (metadata: Record<string, string>): TargetOptions => ({ metadata });
    expect(metadataOverflow([layer({ a: '1', b: '2', c: '3' }), layer({ c: '4', d: '5' })])).toBe(
      undefined,
    );
    expect(
      metadataOverflow([layer({ a: '1', b: '2', c: '3' }), {}, layer({ d: '4', e: '5', f: '6' })]),
    ).toBe(6);
  });

  it('defaults to the REST API origin for endpoint: rest, else the compat origin', () => {
    const input = (endpoint?: string) =>
      ({ type: 'cloudflare', accountId: 'a', ...(endpoint ? { endpoint } : {}) }) as Gateway;
    expect(cloudflareDefaultBaseURL(input('rest'))).toBe('https://api.cloudflare.com');
    expect(cloudflareDefaultBaseURL(input())).toBe('https://gateway.ai.cloudflare.com');
    expect(gatewayAdapters.vercel.defaultBaseURL(input())).toBe('https://ai-gateway.vercel.sh/v1');
  });

  it('tells the emulator each gateway token, stored key and REST API token', () => {
    const gateways: Record<string, GatewayRoute> = {
      stored: {
        name: 'stored',
        type: 'cloudflare',
        cloudflare: { accountId: 'acct', gatewayId: 'gw', endpoint: 'compat' },
        auth: { mode: 'stored-keys', token: new Secret('aig'), unifiedBilling: false },
      } as GatewayRoute,
      rest: {
        name: 'rest',
        type: 'cloudflare',
        cloudflare: { accountId: 'acct', endpoint: 'rest' },
        auth: { mode: 'api-token', token: new Secret('cf-api'), unifiedBilling: true },
      } as GatewayRoute,
      open: { name: 'open', type: 'vercel', auth: { mode: 'bearer' } } as GatewayRoute,
    };
    const upstream = (name: string, gateway: string, provider: string) =>
      ({ name, gateway, model: `${provider}/m`, provider }) as UpstreamRoute;
    const upstreams = {
      a: upstream('a', 'stored', 'openai'),
      b: upstream('b', 'stored', 'openai'),
      c: upstream('c', 'stored', 'dynamic'),
      d: upstream('d', 'rest', 'anthropic'),
    };
    expect(cloudflareEmulation({ gateways, upstreams })).toEqual({
      gateways: {
        'acct/gw': { token: 'aig', storedKeys: ['openai'], unifiedBilling: false },
        'acct/default': { storedKeys: ['anthropic'], unifiedBilling: true },
      },
      apiTokens: ['cf-api'],
    });
  });
});
