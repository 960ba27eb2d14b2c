/**
 * Shared harness for router and gateway tests: start the emulator on 127.0.0.1, write a YAML
 * config pointing at it (secrets as `${VAR}`, resolved from an explicit env), compile it with
 * `parseConfig`, and build a router over real HTTP. Nothing is mocked: the real `openai` SDK
 * talks to the real emulator.
 */
import { onTestFinished } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import type { RouteTable } from '../../src/config/route-table.ts';
import {
  type Emulator,
  type EmulatorOptions,
  type RecordedRequest,
  startEmulator,
} from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import type { Fetch, Router, RouterOptions } from '../../src/router/types.ts';

/**
 * Sentinel credentials. Each is unique and greppable, so a test can prove where a value went
 * (and where it never went) by searching every header, URL and body the emulator received.
 */
export const secrets = Object.freeze({
  /** Cloudflare, open gateway (`provider-keys`): the OpenAI provider key. */
  cfOpenKey: 'sk-cf-open-openai-S1',
  /** Cloudflare, authenticated gateway (`provider-keys+token`): the OpenAI provider key. */
  cfAuthedKey: 'sk-cf-authed-openai-S2',
  /** Cloudflare, authenticated gateway: the gateway token. */
  cfAuthedToken: 'cf-token-authed-S3',
  /** Cloudflare, stored keys: the gateway token. */
  cfStoredToken: 'cf-token-stored-S4',
  /** Vercel AI Gateway key. */
  vercelKey: 'vck-vercel-S5',
  /** OpenRouter key. */
  openrouterKey: 'sk-or-openrouter-S6',
  /** OpenAI-compatible endpoint key. */
  localKey: 'sk-local-S7',
  /** A static gateway header value (treated as a secret by the config language). */
  headerSecret: 'hdr-secret-S8',
});

/** The environment the standard config's `${VAR}`s resolve from. */
export const standardEnv: Readonly<Record<string, string>> = Object.freeze({
  CF_OPEN_OPENAI_KEY: secrets.cfOpenKey,
  CF_AUTHED_OPENAI_KEY: secrets.cfAuthedKey,
  CF_AUTHED_TOKEN: secrets.cfAuthedToken,
  CF_STORED_TOKEN: secrets.cfStoredToken,
  VERCEL_KEY: secrets.vercelKey,
  OPENROUTER_KEY: secrets.openrouterKey,
  LOCAL_KEY: secrets.localKey,
  PROXY_SECRET: secrets.headerSecret,
});

/** Cloudflare account and gateway ids of the standard config, one gateway per auth mode. */
export const cloudflareGateways = Object.freeze({
  open: { accountId: 'acct1', gatewayId: 'open', path: 'acct1/open' },
  authed: { accountId: 'acct1', gatewayId: 'authed', path: 'acct1/authed' },
  stored: { accountId: 'acct1', gatewayId: 'byok', path: 'acct1/byok' },
  billing: { accountId: 'acct1', gatewayId: 'billing', path: 'acct1/billing' },
});

/**
 * Emulator settings matching the standard config: the authenticated gateways check their
 * tokens, the stored-keys gateway holds a key for `openai`, the billing gateway has Unified
 * Billing, and the providers and OpenAI-compatible routes accept only the sentinel keys.
 */
export function standardEmulatorOptions(): EmulatorOptions {
  return {
    cloudflare: {
      gateways: {
        [cloudflareGateways.authed.path]: { token: secrets.cfAuthedToken },
        [cloudflareGateways.stored.path]: { token: secrets.cfStoredToken, storedKeys: ['openai'] },
        [cloudflareGateways.billing.path]: { token: secrets.cfStoredToken, unifiedBilling: true },
      },
      providerKeys: { openai: [secrets.cfOpenKey, secrets.cfAuthedKey] },
    },
    apiKeys: [secrets.vercelKey, secrets.openrouterKey, secrets.localKey],
    allowMissingApiKey: true,
  };
}

/** Starts an emulator on 127.0.0.1 that is closed when the current test finishes. */
export async function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  onTestFinished(() => emulator.close());
  return emulator;
}

/**
 * The standard config: every gateway type and every Cloudflare auth mode, all pointed at one
 * emulator URL (or a different one per gateway, for origin-scoping tests).
 */
export function standardConfigYaml(urls: {
  /** Origin for the Cloudflare gateways. */
  cloudflare: string;
  /** Origin for Vercel, OpenRouter and OpenAI-compatible. @default urls.cloudflare */
  others?: string;
}): string {
  const cf = urls.cloudflare;
  const others = urls.others ?? cf;
  return `
version: 1
gateways:
  cf-open:
    type: cloudflare
    accountId: ${cloudflareGateways.open.accountId}
    gatewayId: ${cloudflareGateways.open.gatewayId}
    baseURL: ${cf}
    auth:
      keys: { openai: "\${CF_OPEN_OPENAI_KEY}" }
  cf-authed:
    type: cloudflare
    accountId: ${cloudflareGateways.authed.accountId}
    gatewayId: ${cloudflareGateways.authed.gatewayId}
    baseURL: ${cf}
    auth:
      token: \${CF_AUTHED_TOKEN}
      keys: { openai: "\${CF_AUTHED_OPENAI_KEY}" }
  cf-stored:
    type: cloudflare
    accountId: ${cloudflareGateways.stored.accountId}
    gatewayId: ${cloudflareGateways.stored.gatewayId}
    baseURL: ${cf}
    auth:
      token: \${CF_STORED_TOKEN}
      keys: stored
  vercel:
    type: vercel
    apiKey: \${VERCEL_KEY}
    baseURL: ${others}/v1
  openrouter:
    type: openrouter
    apiKey: \${OPENROUTER_KEY}
    baseURL: ${others}/api/v1
  local:
    type: openai-compatible
    baseURL: ${others}/local/v1
    apiKey: \${LOCAL_KEY}
  local-open:
    type: openai-compatible
    baseURL: ${others}/open/v1
upstreams:
  cf-open-mini: { gateway: cf-open, model: openai/gpt-4o-mini }
  cf-authed-mini: { gateway: cf-authed, model: openai/gpt-4o-mini }
  cf-stored-mini: { gateway: cf-stored, model: openai/gpt-4o-mini }
  vercel-sonnet: { gateway: vercel, model: anthropic/claude-sonnet-4.5 }
  openrouter-mini: { gateway: openrouter, model: openai/gpt-4o-mini }
  local-llama: { gateway: local, model: llama3.2:3b }
  local-open-qwen: { gateway: local-open, model: qwen2.5 }
models:
  cf-open: cf-open-mini
  cf-authed: cf-authed-mini
  cf-stored: cf-stored-mini
  vercel: vercel-sonnet
  openrouter: openrouter-mini
  local: local-llama
  local-open: local-open-qwen
defaults:
  retry: { attempts: 1 }
  timeout: 10s
`;
}

/** Alias names of the standard config, one per gateway kind and Cloudflare auth mode. */
export const standardAliases = [
  'cf-open',
  'cf-authed',
  'cf-stored',
  'vercel',
  'openrouter',
  'local',
  'local-open',
] as const;

/** YAML text → route table, through the real `parseConfig` (parse, `${VAR}`, schema, compile). */
export function compileYaml(text: string, env: Readonly<Record<string, string>>): RouteTable {
  return parseConfig(text, { env });
}

/** A router over a YAML config; closed when the current test finishes. */
export function routerFromYaml(
  text: string,
  options: RouterOptions & { configEnv?: Readonly<Record<string, string>> } = {},
): Router {
  const { configEnv, ...routerOptions } = options;
  const router = createRouter(compileYaml(text, configEnv ?? standardEnv), routerOptions);
  onTestFinished(() => router.close());
  return router;
}

/** An emulator with the standard settings, and a router over the standard config pointed at it. */
export async function startStandardFixture(
  options: { router?: RouterOptions; emulator?: EmulatorOptions } = {},
): Promise<{ emulator: Emulator; router: Router; yaml: string }> {
  const emulator = await startTestEmulator({ ...standardEmulatorOptions(), ...options.emulator });
  const yaml = standardConfigYaml({ cloudflare: emulator.url });
  const router = routerFromYaml(yaml, options.router);
  return { emulator, router, yaml };
}

/** A `fetch` that counts and records the URLs it is asked for, then calls the global fetch. */
export function countingFetch(): { fetch: Fetch; readonly calls: string[] } {
  const calls: string[] = [];
  const fetch: Fetch = (input, init) => {
    calls.push(input instanceof Request ? input.url : String(input));
    return globalThis.fetch(input, init);
  };
  return { fetch, calls };
}

/** The only request in the emulator's log (fails loudly when there are more or none). */
export function onlyRequest(emulator: Emulator): RecordedRequest {
  const requests = emulator.requests;
  if (requests.length !== 1) {
    throw new Error(
      `expected exactly one request, got ${requests.length}: ${requests.map((r) => r.path).join(', ')}`,
    );
  }
  return requests[0] as RecordedRequest;
}

/** Everything a request carried that could leak a value: every header, the URL and the body. */
export function wireText(request: RecordedRequest): string {
  return JSON.stringify({ url: request.url, headers: request.headers, body: request.body });
}

/** A user message. */
export function user(content: string) {
  return [{ role: 'user' as const, content }];
}

/**
 * Sets environment variables for the current test and restores the previous values (or
 * their absence) when it finishes.
 */
export function setProcessEnv(vars: Readonly<Record<string, string>>): void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(vars)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  onTestFinished(() => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

/** Headers every request carries whatever the gateway: HTTP transport and the SDK's own. */
const transportHeaders = new Set([
  'host',
  'connection',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-length',
  'content-type',
  'sec-fetch-mode',
  'user-agent',
]);

/**
 * The headers a request carried beyond transport and SDK housekeeping (`x-stainless-*`): the
 * ones the router and the gateway adapters decide. Tests compare this whole record, so a header
 * that should be absent fails the comparison as surely as a missing one.
 */
export function gatewayHeaders(request: RecordedRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(request.headers).filter(
      ([name]) => !transportHeaders.has(name) && !name.startsWith('x-stainless-'),
    ),
  );
}
