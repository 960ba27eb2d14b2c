/**
 * `contextWindow` and `maxOutputTokens` on upstreams: a request the estimate says cannot fit a
 * target skips it without a request (logged as skipped, class context_length), a context-length
 * error moves only to larger windows, and when no target fits the call fails at once. Real calls
 * through the `openai` SDK against the emulator.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatPlan } from '../../src/cli/format-plan.ts';
import { paintFor } from '../../src/cli/output.ts';
import { findValidateWarnings } from '../../src/cli/validate-warnings.ts';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { AllTargetsFailedError } from '../../src/errors.ts';
import { createRouter } from '../../src/router/create-router.ts';
import { charactersPerToken, estimateRequestSize } from '../../src/router/request-size.ts';
import { createPlanResolver } from '../../src/router/resolve-plan.ts';
import { startServeStack } from '../serve/helpers.ts';

const configYaml = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: sk-window }
upstreams:
  small: { gateway: local, model: model-small, contextWindow: 1000 }
  small-too: { gateway: local, model: model-small-too, contextWindow: 800 }
  large: { gateway: local, model: model-large, contextWindow: 100000, maxOutputTokens: 4000 }
  unknown: { gateway: local, model: model-unknown }
models:
  chat: { targets: [small, large], retry: { attempts: 1 } }
  shrinking: { targets: [small, small-too, unknown, large], retry: { attempts: 1 } }
  tiny: { targets: [small, small-too], retry: { attempts: 1 } }
`;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-window'] });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const table = () => parseConfig(configYaml, { env: { GATEWAY_URL: emulator.url } });
const requestsTo = (model: string) =>
  emulator.requests.filter((request) => request.model === model).length;
/** A prompt the low estimate puts at `tokens` tokens. */
const promptOf = (tokens: number) => 'word '.repeat((tokens * charactersPerToken) / 5);

describe('skipping targets that cannot fit', () => {
  it('serves a prompt too long for the first window from a larger one, sending nothing to the first', async () => {
    const router = createRouter(table(), { env: {} });
    const { route } = await router.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: promptOf(3000) }] })
      .withRoute();
    expect(route.upstream).toBe('large');
    expect(requestsTo('model-small')).toBe(0);
    expect(requestsTo('model-large')).toBe(1);
    const [skipped] = route.attempts;
    expect(skipped).toMatchObject({
      upstream: 'small',
      decision: 'skipped',
      errorClass: 'context_length',
    });
    expect(skipped?.message).toContain('1000-token window');
    await router.close();
  });

  it('still sends a short prompt to the first target', async () => {
    const router = createRouter(table(), { env: {} });
    const { route } = await router.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hello' }] })
      .withRoute();
    expect(route.upstream).toBe('small');
    expect(route.attempts).toHaveLength(1);
    expect(requestsTo('model-small')).toBe(1);
    expect(requestsTo('model-large')).toBe(0);
    await router.close();
  });

  it('counts the output asked for and the tool definitions against the window', async () => {
    const router = createRouter(table(), { env: {} });
    const short = [{ role: 'user' as const, content: 'hello' }];
    const byOutput = await router.chat.completions
      .create({ model: 'chat', messages: short, max_tokens: 1500 })
      .withRoute();
    expect(byOutput.route.upstream).toBe('large');
    const description = 'x'.repeat(1200 * charactersPerToken);
    const byTools = await router.chat.completions
      .create({
        model: 'chat',
        messages: short,
        tools: [{ type: 'function', function: { name: 'look', description } }],
      })
      .withRoute();
    expect(byTools.route.upstream).toBe('large');
    expect(requestsTo('model-small')).toBe(0);
    await router.close();
  });

  it('fails at once, sending nothing, when no target fits (maxOutputTokens included)', async () => {
    const router = createRouter(table(), { env: {} });
    const error = await router.chat.completions
      .create({ model: 'tiny', messages: [{ role: 'user', content: promptOf(5000) }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AllTargetsFailedError);
    const failed = error as AllTargetsFailedError;
    expect(failed.reason).toBe('context-length');
    expect(failed.message).toContain('no target has a context window that fits the request');
    expect(failed.attempts.map((attempt) => [attempt.decision, attempt.errorClass])).toEqual([
      ['skipped', 'context_length'],
      ['skipped', 'context_length'],
    ]);
    const tooMuchOutput = await router.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8000 })
      .then(() => undefined)
      .catch((caught: unknown) => caught as AllTargetsFailedError);
    if (tooMuchOutput === undefined) throw new Error('the call should have failed');
    expect(tooMuchOutput.reason).toBe('context-length');
    expect(tooMuchOutput.attempts[1]?.message).toContain('writes at most 4000');
    expect(emulator.requests).toHaveLength(0);
    await router.close();
  });
});

describe('after a context-length error', () => {
  it('tries only targets with a larger (or undeclared) window, and records no health failure', async () => {
    const router = createRouter(table(), { env: {}, health: { failureThreshold: 1 } });
    // The estimate lets a short prompt through; the model refuses it anyway.
    emulator.inject({
      match: { model: 'model-small' },
      fault: { type: 'status', status: 400, code: 'context_length_exceeded' },
    });
    emulator.inject({
      match: { model: 'model-unknown' },
      fault: { type: 'status', status: 400, code: 'context_length_exceeded' },
    });
    const ask = { model: 'shrinking', messages: [{ role: 'user' as const, content: 'hi' }] };
    const { route } = await router.chat.completions.create(ask).withRoute();
    expect(route.upstream).toBe('large');
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
      ['small', 'fallback'],
      ['small-too', 'skipped'],
      ['unknown', 'fallback'],
      ['large', 'success'],
    ]);
    expect(route.attempts[1]?.message).toContain('a 1000-token window already refused');
    expect(requestsTo('model-small-too')).toBe(0);
    // A context error is about the request, not the upstream: the next call tries small again.
    emulator.clearFaults();
    emulator.clearRequests();
    const again = await router.chat.completions.create(ask).withRoute();
    expect(again.route.upstream).toBe('small');
    await router.close();
  });
});

describe('estimateRequestSize', () => {
  it('counts message text, content parts, tools and the output asked for', () => {
    const size = estimateRequestSize({
      messages: [
        { role: 'system', content: 'a'.repeat(50) },
        { role: 'user', content: [{ type: 'text', text: 'b'.repeat(50) }] },
      ],
      max_completion_tokens: 7,
    });
    expect(size).toEqual({ promptTokens: 100 / charactersPerToken, outputTokens: 7 });
    expect(estimateRequestSize({ messages: [] })).toEqual({
      promptTokens: 0,
      outputTokens: undefined,
    });
  });

  it('counts an object met twice once, so a cyclic request ends the walk', () => {
    const part: Record<string, unknown> = { type: 'text', text: 'c'.repeat(50) };
    const message: Record<string, unknown> = { role: 'user', content: [part, part] };
    (message['content'] as unknown[]).push(message);
    expect(estimateRequestSize({ messages: [message] }).promptTokens).toBe(50 / charactersPerToken);
  });
});

describe('plan and validate', () => {
  it('shows windows and prices in the plan, and warns where a chain shrinks', () => {
    const yaml = `version: 1
gateways:
  local: { type: openai-compatible, baseURL: http://127.0.0.1:9/v1 }
upstreams:
  big: { gateway: local, model: big, contextWindow: 200000, price: { input: 3, output: 15 } }
  small: { gateway: local, model: small, contextWindow: 8000, maxOutputTokens: 2000 }
  other: { gateway: local, model: other, contextWindow: 200000 }
models:
  shrinks: { targets: [big, small] }
  grows: { targets: [small, big, other] }
`;
    const table = parseConfig(yaml);
    const router = createRouter(table, { env: {} });
    const text = formatPlan({
      plan: router.resolve('shrinks'),
      paint: paintFor({ stream: { isTTY: false }, env: {} } as never),
    });
    expect(text).toContain('window   200000 tokens');
    expect(text).toContain('window   8000 tokens, output at most 2000 tokens');
    expect(text).toContain('price    $3 in, $15 out per million tokens');
    expect(router.resolve('shrinks').targets[0]?.price).toEqual({
      input: 3,
      output: 15,
      cachedInput: 3,
    });
    const warnings = findValidateWarnings(table).filter((each) =>
      /context window/.test(each.message),
    );
    expect(warnings).toEqual([
      {
        alias: 'shrinks',
        target: 1,
        message:
          'target 2 (small) has a smaller context window (8000 tokens) than target 1 (big, 200000): a request too long for target 1 skips it, so it backs target 1 up only for shorter ones. Put larger windows later in the chain if long requests should fall back.',
      },
    ]);
  });
});

describe('cost when nothing declares a window', () => {
  it('only plans with a declared window or output limit are sized', () => {
    const resolver = createPlanResolver(table());
    expect(resolver.resolve('chat').sized).toBe(true);
    const plain = parseConfig(`version: 1
gateways:
  local: { type: openai-compatible, baseURL: http://127.0.0.1:9/v1 }
models:
  chat: local:model-a
`);
    expect(createPlanResolver(plain).resolve('chat').sized).toBeUndefined();
    expect(createPlanResolver(plain).resolve('local:model-b').sized).toBeUndefined();
  });
});

describe('switchyard serve', () => {
  it('answers a request no window fits with 400 context_length_exceeded, sending nothing', async () => {
    const stack = await startServeStack({
      yaml: (url) => `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "${url}/v1", apiKey: "\${UPSTREAM_KEY}" }
upstreams:
  small: { gateway: local, model: model-small, contextWindow: 1000 }
models:
  chat: small
`,
    });
    try {
      const client = new OpenAI({ apiKey: 'none', baseURL: stack.baseURL, maxRetries: 0 });
      const error = await client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: promptOf(5000) }] })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('context_length_exceeded');
      expect(stack.emulator.requests).toHaveLength(0);
    } finally {
      await stack.close();
    }
  });
});
