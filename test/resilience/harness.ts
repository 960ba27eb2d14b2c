/**
 * Shared set-up for the resilience scenarios: a gateway emulator on loopback and a router whose
 * alias `chain` has a primary and a fallback on the same kind of gateway.
 */
import type OpenAI from 'openai';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createRouter, parseConfig, type Router, type RouterOptions } from '../../src/index.ts';

/** The gateway kinds every scenario runs through. */
export const gatewayKinds = ['cloudflare', 'openai-compatible'] as const;
export type GatewayKind = (typeof gatewayKinds)[number];

/** Model strings of the primary and fallback upstreams, per gateway kind. */
export const models: Record<GatewayKind, { primary: string; fallback: string }> = {
  cloudflare: { primary: 'openai/primary-model', fallback: 'groq/fallback-model' },
  'openai-compatible': { primary: 'primary-model', fallback: 'fallback-model' },
};

/** Options of {@link setup}. */
export type SetupOptions = {
  kind: GatewayKind;
  /** YAML for the `chain` alias's settings (retry, timeout, policy), indented under the alias. */
  alias?: string;
  router?: RouterOptions;
};

/** A running scenario. */
export type Scenario = {
  emulator: Emulator;
  router: Router;
  primary: string;
  fallback: string;
  /** Requests the emulator received for a model. */
  requestsFor(model: string): Emulator['requests'][number][];
  close(): Promise<void>;
};

/** Starts an emulator and a router for one gateway kind. */
export async function setup(options: SetupOptions): Promise<Scenario> {
  const emulator = await startEmulator({
    cloudflare: {
      gateways: { 'acct/gw': { token: 'gateway-token', storedKeys: ['openai', 'groq'] } },
    },
  });
  const { primary, fallback } = models[options.kind];
  const gateway =
    options.kind === 'cloudflare'
      ? `{ type: cloudflare, accountId: acct, gatewayId: gw, baseURL: "${emulator.url}", auth: { token: gateway-token, keys: stored } }`
      : `{ type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: local-key }`;
  const yaml = [
    'version: 1',
    'gateways:',
    `  gw: ${gateway}`,
    'upstreams:',
    `  primary: { gateway: gw, model: ${primary} }`,
    `  fallback: { gateway: gw, model: ${fallback} }`,
    'models:',
    '  chain:',
    '    targets: [primary, fallback]',
    ...(options.alias ?? 'retry: { attempts: 2, initialDelay: 10ms, maxDelay: 2s }')
      .split('\n')
      .map((line) => `    ${line}`),
  ].join('\n');
  const table = parseConfig(yaml, { env: {} });
  const router = createRouter(table, { health: false, ...options.router });
  return {
    emulator,
    router,
    primary,
    fallback,
    requestsFor: (model) => emulator.requests.filter((request) => request.model === model),
    close: async () => {
      await router.close();
      await emulator.close();
    },
  };
}

/** A one-message chat request for the `chain` alias. */
export function ask(
  content = 'tell me a story',
): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
  return { model: 'chain', messages: [{ role: 'user', content }] };
}

/** The same, streaming. */
export function askStream(
  content = 'tell me a story',
): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
  return { model: 'chain', messages: [{ role: 'user', content }], stream: true };
}

/** Reads a stream to the end, returning its text; rethrows the stream's error with the text so far. */
export async function readAll(
  stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>,
): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

/** Awaits a promise that must reject, and returns the rejection. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a result');
}

/** Timers currently alive in this process (Node's own accounting). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}
