/**
 * Time (per-attempt timeouts, one deadline, aborts that settle at once and leave no timer) and
 * the policy details: Retry-After forms, x-should-retry, never-retried statuses, overrides, hooks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AllTargetsFailedError, isRouterError, type RouterError } from '../../src/index.ts';
import {
  activeTimers,
  ask,
  askStream,
  readAll,
  rejection,
  type Scenario,
  setup,
} from './harness.ts';

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** Lets the event loop run so that settled timers are gone from Node's accounting. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('aborts and deadlines', () => {
  // "At once" means without waiting for the upstream (which hangs for ever), a backoff (3 s) or
  // the deadline (60 s); the 1.5 s bound leaves a loaded machine room and still tells them apart.
  it('an abort during a request settles at once, sends nothing more and leaves no timer', async () => {
    scenario = await setup({ kind: 'cloudflare' });
    scenario.emulator.inject({ fault: { type: 'hang' } });
    await settle();
    const baseline = activeTimers();
    const controller = new AbortController();
    const pending = rejection(
      scenario.router.chat.completions.create(ask(), { signal: controller.signal }),
    );
    // Abort once the request is at the (hanging) gateway, however long that takes to happen.
    await expect.poll(() => scenario?.emulator.requests.length).toBe(1);
    const aborted = performance.now();
    controller.abort();
    const error = await pending;
    expect(performance.now() - aborted).toBeLessThan(1500);
    expect(isRouterError(error) && error.code).toBe('ABORTED');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(scenario.emulator.requests).toHaveLength(1);
    await settle();
    expect(activeTimers()).toBeLessThanOrEqual(baseline);
  });

  it('an abort during a backoff wait settles at once and sends no retry', async () => {
    scenario = await setup({
      kind: 'openai-compatible',
      alias: 'retry: { attempts: 3, maxDelay: 5s }',
    });
    scenario.emulator.inject({
      fault: { type: 'status', status: 429, headers: { 'retry-after': '3' } },
    });
    await settle();
    const baseline = activeTimers();
    const controller = new AbortController();
    const pending = rejection(
      scenario.router.chat.completions.create(ask(), { signal: controller.signal }),
    );
    // Abort once the 429 is in, i.e. during the 3 s backoff.
    await expect.poll(() => scenario?.emulator.requests[0]?.status).toBe(429);
    const aborted = performance.now();
    controller.abort();
    const error = (await pending) as RouterError & { attempts?: unknown[] };
    expect(performance.now() - aborted).toBeLessThan(1500);
    expect(error.code).toBe('ABORTED');
    expect(error.attempts).toHaveLength(1);
    expect(scenario.emulator.requests).toHaveLength(1);
    await settle();
    expect(activeTimers()).toBeLessThanOrEqual(baseline);
  });

  it('an abort during a stream ends it at once with the abort error, not a clean end', async () => {
    scenario = await setup({ kind: 'cloudflare' });
    scenario.emulator.inject({ fault: { type: 'stream-stall', afterChunks: 2 } });
    await settle();
    const baseline = activeTimers();
    const controller = new AbortController();
    const stream = await scenario.router.chat.completions.create(askStream(), {
      signal: controller.signal,
    });
    const reading = rejection(readAll(stream));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const aborted = performance.now();
    controller.abort();
    const error = await reading;
    expect(performance.now() - aborted).toBeLessThan(1500);
    expect(isRouterError(error) && error.code).toBe('ABORTED');
    await settle();
    expect(activeTimers()).toBeLessThanOrEqual(baseline);
  });

  it('one deadline covers retries and fallbacks together', async () => {
    scenario = await setup({
      kind: 'openai-compatible',
      alias: 'retry: { attempts: 3 }\ntimeout: { total: 300ms, attempt: 200ms }',
    });
    scenario.emulator.inject({ fault: { type: 'hang' } });
    const started = performance.now();
    const error = (await rejection(
      scenario.router.chat.completions.create(ask()),
    )) as RouterError & { attempts?: { decision: string }[] };
    const elapsed = performance.now() - started;
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    // Without one deadline over the call, both targets would run out their attempts (3 × 200 ms
    // each) and the call would end ALL_TARGETS_FAILED: the code and the request count say so.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // 200 ms attempt on the primary, then the fallback until the deadline at 300 ms.
    expect(scenario.emulator.requests.length).toBeLessThanOrEqual(3);
    expect(error.attempts?.at(-1)?.decision).toBe('fail');
  });

  it('the request timeout option overrides the deadline for one call', async () => {
    scenario = await setup({ kind: 'cloudflare' });
    scenario.emulator.inject({ fault: { type: 'hang' } });
    const started = performance.now();
    const error = await rejection(scenario.router.chat.completions.create(ask(), { timeout: 150 }));
    expect(isRouterError(error) && error.code).toBe('DEADLINE_EXCEEDED');
    // The alias's own deadline is 60 s: ending this early means the option was used.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('each attempt gets a fresh time limit: the retry after a timed-out attempt is not born aborted', async () => {
    scenario = await setup({
      kind: 'cloudflare',
      // Long enough that the retry's answer arrives within it on a loaded machine too.
      alias: 'retry: { attempts: 2, initialDelay: 5ms }\ntimeout: { attempt: 2s }',
    });
    scenario.emulator.inject({
      match: { model: scenario.primary },
      times: 1,
      fault: { type: 'hang' },
    });
    const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
    expect(route.upstream).toBe('primary');
    expect(route.attempts.map((attempt) => [attempt.errorClass, attempt.decision])).toEqual([
      ['timeout', 'retry'],
      [undefined, 'success'],
    ]);
  });
});

describe('retry policy', () => {
  it('honours retry-after-ms', async () => {
    scenario = await setup({ kind: 'openai-compatible' });
    scenario.emulator.inject({
      match: { model: scenario.primary },
      times: 1,
      fault: { type: 'status', status: 429, headers: { 'retry-after-ms': '300' } },
    });
    const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
    const requests = scenario.requestsFor(scenario.primary);
    expect((requests[1]?.time ?? 0) - (requests[0]?.time ?? 0)).toBeGreaterThanOrEqual(290);
    expect(route.attempts[0]?.waitMs).toBe(300);
  });

  it('honours a Retry-After HTTP date', async () => {
    scenario = await setup({ kind: 'openai-compatible' });
    const when = new Date(Date.now() + 2000).toUTCString(); // whole seconds: 1 to 2 s from now
    scenario.emulator.inject({
      match: { model: scenario.primary },
      times: 1,
      fault: { type: 'status', status: 503, headers: { 'retry-after': when } },
    });
    const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
    expect(route.upstream).toBe('primary');
    const requests = scenario.requestsFor(scenario.primary);
    const gap = (requests[1]?.time ?? 0) - (requests[0]?.time ?? 0);
    expect(gap).toBeGreaterThanOrEqual(900);
    // The wait was computed from the date (not measured: a loaded machine only adds to it).
    expect(route.attempts[0]?.waitMs).toBeGreaterThanOrEqual(900);
    expect(route.attempts[0]?.waitMs).toBeLessThanOrEqual(2000);
  });

  it('x-should-retry: false stops retries on the same target', async () => {
    scenario = await setup({ kind: 'cloudflare', alias: 'retry: { attempts: 3 }' });
    scenario.emulator.inject({
      match: { model: scenario.primary },
      fault: { type: 'status', status: 500, headers: { 'x-should-retry': 'false' } },
    });
    const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
    expect(scenario.requestsFor(scenario.primary)).toHaveLength(1);
    expect(route.upstream).toBe('fallback');
  });

  it.each([400, 401, 403, 404, 422])(
    'status %i is never retried on the same target, even when the policy says retry',
    async (status) => {
      const everything =
        'rate_limit: retry, server: retry, auth: retry, not_found: retry, bad_request: retry, context_length: retry, content_filter: retry';
      scenario = await setup({
        kind: 'openai-compatible',
        alias: `retry: { attempts: 3 }\npolicy: { ${everything} }`,
      });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status },
      });
      const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(1);
      expect(route.upstream).toBe('fallback');
    },
  );

  it('the policy is data: an alias can make server errors fail at once', async () => {
    scenario = await setup({
      kind: 'cloudflare',
      alias: 'retry: { attempts: 3 }\npolicy: { server: fail }',
    });
    scenario.emulator.inject({
      match: { model: scenario.primary },
      fault: { type: 'status', status: 502 },
    });
    const error = await rejection(scenario.router.chat.completions.create(ask()));
    expect(error).toBeInstanceOf(AllTargetsFailedError);
    expect((error as AllTargetsFailedError).message).toContain('stopped');
    expect(scenario.emulator.requests).toHaveLength(1);
  });

  it('hooks each receive one state object, in order, and a throwing hook changes nothing', async () => {
    const events: string[] = [];
    scenario = await setup({
      kind: 'cloudflare',
      router: {
        onAttempt: ({ attempt }) => {
          events.push(`attempt ${attempt.upstream} ${attempt.decision}`);
          throw new Error('a broken hook');
        },
        onRetry: ({ attempt, waitMs }) => events.push(`retry ${attempt.upstream} ${waitMs >= 0}`),
        onFallback: ({ from, to }) => events.push(`fallback ${from} → ${to}`),
        onSuccess: ({ route }) => events.push(`success ${route.upstream}`),
        onFailure: () => events.push('failure'),
      },
    });
    scenario.emulator.inject({
      match: { model: scenario.primary },
      fault: { type: 'status', status: 503 },
    });
    await scenario.router.chat.completions.create(ask());
    expect(events).toEqual([
      'attempt primary retry',
      'retry primary true',
      'attempt primary fallback',
      'fallback primary → fallback',
      'attempt fallback success',
      'success fallback',
    ]);
  });

  it('the attempt log and errors carry no secret', async () => {
    scenario = await setup({ kind: 'cloudflare' });
    scenario.emulator.inject({ fault: { type: 'status', status: 401 } });
    const error = (await rejection(
      scenario.router.chat.completions.create(ask()),
    )) as AllTargetsFailedError;
    const text = JSON.stringify({
      message: error.message,
      attempts: error.attempts,
      stack: error.stack,
    });
    expect(text).not.toContain('gateway-token');
    expect(error.attempts.map((attempt) => attempt.errorClass)).toEqual(['auth', 'auth']);
  });
});

describe('gateway-side retries', () => {
  it('are sent only when configured, and then counted in the worst case', async () => {
    const { parseConfig, createRouter } = await import('../../src/index.ts');
    const { startEmulator } = await import('../../src/emulator/index.ts');
    const emulator = await startEmulator();
    try {
      const yaml = (options: string) =>
        [
          'version: 1',
          'gateways:',
          `  cf: { type: cloudflare, accountId: a, gatewayId: g, baseURL: "${emulator.url}", auth: { keys: { openai: k-1234 } }${options} }`,
          'upstreams:',
          '  one: { gateway: cf, model: openai/one }',
          '  two: { gateway: cf, model: openai/two }',
          'models:',
          '  chain: { targets: [one, two], retry: { attempts: 3 } }',
        ].join('\n');
      const plain = createRouter(parseConfig(yaml(''), { env: {} }), { health: false });
      const counted = createRouter(
        parseConfig(yaml(', options: { maxAttempts: 4 }'), { env: {} }),
        { health: false },
      );
      expect(plain.resolve('chain').worstCase.requests).toBe(6);
      expect(counted.resolve('chain').worstCase.requests).toBe(24);
      await plain.chat.completions.create({
        model: 'chain',
        messages: [{ role: 'user', content: 'x' }],
      });
      await counted.chat.completions.create({
        model: 'chain',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(emulator.requests.map((request) => request.headers['cf-aig-max-attempts'])).toEqual([
        undefined,
        '4',
      ]);
      await plain.close();
      await counted.close();
    } finally {
      await emulator.close();
    }
  });
});
