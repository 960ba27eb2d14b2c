/**
 * Per-call context and token usage: a request's `context` reaches every hook, the attempt log,
 * the route and Cloudflare's log metadata (merged with the configured metadata); usage is on
 * the route and the success hook for plain calls, and on the route when a stream ends.
 * Real calls through the `openai` SDK against the emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import type { RouterHooks } from '../../src/router/types.ts';

const token = 'cf-context-token';

const configYaml = `
version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: \${GATEWAY_URL}
    auth: { token: "\${TOKEN}", keys: stored }
    options: { metadata: { app: search, team: core } }
upstreams:
  primary: { gateway: edge, model: openai/primary-model }
  backup: { gateway: edge, model: openai/backup-model }
models:
  chat:
    targets: [primary, backup]
    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 1ms }
`;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({
    cloudflare: { gateways: { 'acct/gw': { token, storedKeys: ['openai'] } } },
  });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

function recordingRouter() {
  const seen: Record<string, unknown[]> = {};
  const keep = (name: string) => (state: unknown) => {
    seen[name] = [...(seen[name] ?? []), state];
  };
  const hooks: RouterHooks = {
    onAttempt: keep('attempt'),
    onRetry: keep('retry'),
    onFallback: keep('fallback'),
    onSuccess: keep('success'),
    onFailure: keep('failure'),
  };
  const table = parseConfig(configYaml, { env: { GATEWAY_URL: emulator.url, TOKEN: token } });
  return { router: createRouter(table, { env: {}, health: false, ...hooks }), seen };
}

const context = { requestId: 'req-7f3a', tenant: 'acme', priority: 2 };
const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'one two three' }] };

describe('per-call context', () => {
  it('reaches every hook, the attempt log and the route', async () => {
    const { router, seen } = recordingRouter();
    emulator.inject({
      match: { model: 'openai/primary-model' },
      fault: { type: 'status', status: 500 },
    });
    const { route } = await router.chat.completions.create(ask, { context }).withRoute();
    expect(route.upstream).toBe('backup');
    expect(route.context).toEqual(context);
    expect(route.attempts.map((attempt) => [attempt.decision, attempt.context])).toEqual([
      ['retry', context],
      ['fallback', context],
      ['success', context],
    ]);
    for (const name of ['attempt', 'retry', 'fallback', 'success']) {
      expect(seen[name]?.length, name).toBeGreaterThan(0);
      for (const state of seen[name] ?? [])
        expect((state as { context?: unknown }).context).toEqual(context);
    }

    emulator.inject({
      match: { model: 'openai/backup-model' },
      fault: { type: 'status', status: 500 },
    });
    await expect(
      router.chat.completions.create(ask, { context: { requestId: 'req-2' } }),
    ).rejects.toThrow();
    const failure = seen['failure']?.[0] as {
      context?: unknown;
      attempts: { context?: unknown }[];
    };
    expect(failure.context).toEqual({ requestId: 'req-2' });
    expect(failure.attempts.every((attempt) => attempt.context !== undefined)).toBe(true);
  });

  it('is merged into cf-aig-metadata with the configured metadata, not replacing it', async () => {
    const { router } = recordingRouter();
    await router.chat.completions.create(ask, { context });
    const [request] = emulator.requests;
    expect(JSON.parse(request?.headers['cf-aig-metadata'] ?? '{}')).toEqual({
      app: 'search',
      team: 'core',
      requestId: 'req-7f3a',
      tenant: 'acme',
      priority: 2,
    });
    // Without context the configured metadata goes alone.
    emulator.clearRequests();
    await router.chat.completions.create(ask);
    expect(JSON.parse(emulator.requests[0]?.headers['cf-aig-metadata'] ?? '{}')).toEqual({
      app: 'search',
      team: 'core',
    });
  });

  it('keeps Cloudflare’s limit of 5 entries: configured keys stay, extra context keys are left out', async () => {
    const { router } = recordingRouter();
    await router.chat.completions.create(ask, {
      context: { team: 'override', a: 1, b: 2, c: 3, d: 4 },
    });
    const sent = JSON.parse(emulator.requests[0]?.headers['cf-aig-metadata'] ?? '{}');
    expect(sent).toEqual({ app: 'search', team: 'override', a: 1, b: 2, c: 3 });
  });
});

describe('token usage', () => {
  it('is on the route and the success hook for a plain call', async () => {
    const { router, seen } = recordingRouter();
    const { data, route } = await router.chat.completions.create(ask).withRoute();
    expect(route.usage).toEqual({
      inputTokens: data.usage?.prompt_tokens,
      outputTokens: data.usage?.completion_tokens,
      totalTokens: data.usage?.total_tokens,
    });
    expect(route.usage?.inputTokens).toBeGreaterThan(0);
    const success = seen['success']?.[0] as { route: { usage?: unknown } } | undefined;
    expect(success?.route.usage).toEqual(route.usage);
  });

  it('is on the route when a stream that asked for it ends', async () => {
    const { router } = recordingRouter();
    const { data: stream, route } = await router.chat.completions
      .create({ ...ask, stream: true, stream_options: { include_usage: true } })
      .withRoute();
    expect(route.usage).toBeUndefined();
    let usageChunk: unknown;
    for await (const chunk of stream) if (chunk.usage) usageChunk = chunk.usage;
    expect(usageChunk).toBeDefined();
    const reported = usageChunk as { prompt_tokens: number; completion_tokens: number };
    expect(route.usage).toMatchObject({
      inputTokens: reported.prompt_tokens,
      outputTokens: reported.completion_tokens,
    });
  });
});
