/**
 * The failure scenarios S01–S16 of reliability.md, through the Cloudflare and the
 * OpenAI-compatible adapters, streaming and not, asserted on the emulator's request log.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AllTargetsFailedError, isRouterError, StreamInterruptedError } from '../../src/index.ts';
import {
  ask,
  askStream,
  gatewayKinds,
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

describe.each(gatewayKinds)('through %s', (kind) => {
  describe.each([false, true])('stream: %s', (stream) => {
    const call = async (current: Scenario) => {
      if (!stream) {
        const { data, route } = await current.router.chat.completions.create(ask()).withRoute();
        return {
          text: data.choices[0]?.message.content ?? '',
          route,
          model: data.model,
          usage: data.usage,
        };
      }
      const { data, route } = await current.router.chat.completions.create(askStream()).withRoute();
      return { text: await readAll(data), route, model: route.upstreamModel, usage: undefined };
    };

    it('S01: 429 with Retry-After waits that long, retries the same target and succeeds', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        times: 1,
        fault: { type: 'status', status: 429, headers: { 'retry-after': '1' } },
      });
      const result = await call(scenario);
      const requests = scenario.requestsFor(scenario.primary);
      expect(requests).toHaveLength(2);
      expect(requests.map((request) => request.status)).toEqual([429, 200]);
      const gap = (requests[1]?.time ?? 0) - (requests[0]?.time ?? 0);
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(result.route.upstream).toBe('primary');
      expect(result.route.attempts.map((attempt) => [attempt.decision, attempt.waitMs])).toEqual([
        ['retry', 1000],
        ['success', 0],
      ]);
      expect(scenario.requestsFor(scenario.fallback)).toHaveLength(0);
    });

    it('S02: persistent 429 without Retry-After backs off, then falls back; requests are bounded', async () => {
      scenario = await setup({
        kind,
        alias: 'retry: { attempts: 3, initialDelay: 40ms, maxDelay: 1s, factor: 2 }',
      });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 429 },
      });
      const result = await call(scenario);
      const requests = scenario.requestsFor(scenario.primary);
      expect(requests).toHaveLength(3);
      // Equal jitter: each wait is at least half its exponential base (40 ms, then 80 ms).
      expect((requests[1]?.time ?? 0) - (requests[0]?.time ?? 0)).toBeGreaterThanOrEqual(19);
      expect((requests[2]?.time ?? 0) - (requests[1]?.time ?? 0)).toBeGreaterThanOrEqual(39);
      expect(scenario.requestsFor(scenario.fallback)).toHaveLength(1);
      expect(result.route.upstream).toBe('fallback');
      const decisions = result.route.attempts.map((attempt) => attempt.decision);
      expect(decisions).toEqual(['retry', 'retry', 'fallback', 'success']);
      // No sleep before moving to a different target.
      expect(result.route.attempts[2]?.waitMs).toBe(0);
    });

    it('S03: a single 500 is retried once on the same target', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        times: 1,
        fault: { type: 'status', status: 500 },
      });
      const result = await call(scenario);
      expect(scenario.requestsFor(scenario.primary).map((request) => request.status)).toEqual([
        500, 200,
      ]);
      expect(scenario.requestsFor(scenario.fallback)).toHaveLength(0);
      expect(result.route.upstream).toBe('primary');
      expect(result.route.attempts[0]?.errorClass).toBe('server');
    });

    it('S04: a persistent 503 falls over within the retry budget', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 503 },
      });
      const result = await call(scenario);
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(2);
      expect(scenario.requestsFor(scenario.fallback)).toHaveLength(1);
      expect(result.text).toContain(scenario.fallback);
    });

    it('S05: a reset before headers is retried, then falls over', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({ match: { model: scenario.primary }, fault: { type: 'reset' } });
      const result = await call(scenario);
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(2);
      expect(result.route.attempts[0]?.errorClass).toBe('network');
      expect(result.route.upstream).toBe('fallback');
    });

    it('S06: no response at all: the attempt timeout fires and the call falls over', async () => {
      scenario = await setup({
        kind,
        // The limit applies to the fallback too: long enough for its answer on a loaded machine.
        alias: 'retry: { attempts: 1 }\ntimeout: { total: 20s, attempt: 2s }',
      });
      scenario.emulator.inject({ match: { model: scenario.primary }, fault: { type: 'hang' } });
      const started = performance.now();
      const result = await call(scenario);
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(1990);
      // The attempt limit ended it, not the 20 s deadline: its class and the fallback's answer.
      expect(result.route.attempts[0]?.durationMs).toBeLessThan(20_000);
      expect(result.route.attempts[0]?.errorClass).toBe('timeout');
      expect(result.route.upstream).toBe('fallback');
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(1);
    });

    it('S12: 400 context_length_exceeded is not retried on the same model and moves on', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 400, code: 'context_length_exceeded' },
      });
      const result = await call(scenario);
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(1);
      expect(result.route.attempts[0]?.errorClass).toBe('context_length');
      expect(result.route.upstream).toBe('fallback');
    });

    it('S13: 400 content filter is not retried and its reason propagates', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 400, code: 'content_filter' },
      });
      const error = await rejection(call(scenario));
      expect(error).toBeInstanceOf(AllTargetsFailedError);
      const failed = error as AllTargetsFailedError;
      expect(failed.status).toBe(400);
      expect((failed.lastError as { code?: unknown }).code).toBe('content_filter');
      expect(failed.attempts.map((attempt) => [attempt.errorClass, attempt.decision])).toEqual([
        ['content_filter', 'fail'],
      ]);
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(1);
      expect(scenario.requestsFor(scenario.fallback)).toHaveLength(0);
    });

    it('S16: primary 503, fallback answers: the route reports the fallback and counts the failures', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 503 },
      });
      const result = await call(scenario);
      expect(result.route.upstream).toBe('fallback');
      expect(result.model).toBe(scenario.fallback);
      if (!stream) expect(result.usage?.total_tokens).toBeGreaterThan(0);
      expect(
        result.route.attempts.filter((attempt) => attempt.decision !== 'success'),
      ).toHaveLength(2);
      expect(result.route.attempts.at(-1)).toMatchObject({
        upstream: 'fallback',
        status: 200,
        decision: 'success',
      });
    });

    it('exact accounting: every target failing costs targets × attempts requests, no more', async () => {
      scenario = await setup({ kind, alias: 'retry: { attempts: 3, initialDelay: 5ms }' });
      scenario.emulator.inject({ fault: { type: 'status', status: 503 } });
      const error = await rejection(call(scenario));
      expect(isRouterError(error) && error.code).toBe('ALL_TARGETS_FAILED');
      expect(scenario.emulator.requests).toHaveLength(2 * 3);
      expect(
        scenario.emulator.requests.every(
          (request) => request.headers['x-stainless-retry-count'] === '0',
        ),
      ).toBe(true);
      const failed = error as AllTargetsFailedError;
      expect(failed.attempts).toHaveLength(6);
      expect((failed.primaryError as { status?: number }).status).toBe(503);
      expect(failed.message).toContain('6 request(s) to 2 upstream(s)');
    });

    it("the primary's failure stays the call's primary error; the last target's is the last error", async () => {
      scenario = await setup({ kind, alias: 'retry: { attempts: 1 }' });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 503 },
      });
      scenario.emulator.inject({
        match: { model: scenario.fallback },
        fault: { type: 'status', status: 500 },
      });
      const failed = (await rejection(call(scenario))) as AllTargetsFailedError;
      expect(failed).toBeInstanceOf(AllTargetsFailedError);
      expect((failed.primaryError as { status?: number }).status).toBe(503);
      expect((failed.lastError as { status?: number }).status).toBe(500);
    });

    it('a Retry-After longer than maxDelay moves to the next target at once, without sleeping', async () => {
      scenario = await setup({ kind, alias: 'retry: { attempts: 3, maxDelay: 1s }' });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'status', status: 429, headers: { 'retry-after': '30' } },
      });
      const result = await call(scenario);
      // No sleep: the failed attempt asked for no wait before moving on.
      expect(result.route.attempts[0]?.decision).toBe('fallback');
      expect(result.route.attempts[0]?.waitMs).toBe(0);
      expect(scenario.requestsFor(scenario.primary)).toHaveLength(1);
      expect(result.route.upstream).toBe('fallback');
    });
  });

  describe('streaming only', () => {
    it('S07: a slow first token succeeds without a first-token limit, and falls over with one', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'delay', ms: 300 },
      });
      const slow = await scenario.router.chat.completions.create(askStream()).withRoute();
      expect(await readAll(slow.data)).toContain(scenario.primary);
      await scenario.close();

      scenario = await setup({
        kind,
        // The fallback's first token must beat the limit too, on a loaded machine as well.
        alias: 'retry: { attempts: 1 }\ntimeout: { firstToken: 1500ms }',
      });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'delay', ms: 6000 },
      });
      const fast = await scenario.router.chat.completions.create(askStream()).withRoute();
      expect(fast.route.upstream).toBe('fallback');
      expect(fast.route.attempts[0]?.errorClass).toBe('timeout');
      const text = await readAll(fast.data);
      expect(text).toContain(scenario.fallback);
      expect(text).not.toContain(scenario.primary);
    });

    it('S08/S14: a stream cut after its first content is a typed interruption with the partial output, never a fallback', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'stream-cut', afterChunks: 3 },
      });
      const stream = await scenario.router.chat.completions.create(
        askStream('one two three four five six'),
      );
      const error = await rejection(readAll(stream));
      expect(error).toBeInstanceOf(StreamInterruptedError);
      const interrupted = error as StreamInterruptedError;
      expect(interrupted.upstream).toBe('primary');
      expect(interrupted.chunks).toBeGreaterThanOrEqual(3);
      expect(interrupted.partialContent.length).toBeGreaterThan(0);
      expect(
        `Echo from ${scenario.primary}: one two three four five six`.startsWith(
          interrupted.partialContent,
        ),
      ).toBe(true);
      // S14: the real cause is kept; no fallback request could mask it.
      expect(interrupted.cause).toBeDefined();
      expect(scenario.requestsFor(scenario.fallback)).toHaveLength(0);
    });

    it('S09: a stall after content is caught by the idle timeout; a stall before content falls over', async () => {
      // The fallback's chunks must beat the limit too, on a loaded machine as well.
      scenario = await setup({ kind, alias: 'timeout: { idle: 1500ms }' });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        times: 1,
        fault: { type: 'stream-stall', afterChunks: 2 },
      });
      const stream = await scenario.router.chat.completions.create(askStream());
      const error = await rejection(readAll(stream));
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as StreamInterruptedError).message).toContain('1500 ms');

      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'stream-stall', afterChunks: 0 },
      });
      const { data, route } = await scenario.router.chat.completions
        .create(askStream())
        .withRoute();
      expect(route.upstream).toBe('fallback');
      expect(route.attempts[0]?.errorClass).toBe('timeout');
      expect(await readAll(data)).toContain(scenario.fallback);
    });

    it('S10: a malformed chunk after content ends the stream with an error, not a clean end', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'malformed-chunk', afterChunks: 2 },
      });
      const stream = await scenario.router.chat.completions.create(askStream());
      const error = await rejection(readAll(stream));
      expect(error).toBeInstanceOf(StreamInterruptedError);
    });

    it('S10: an error event inside a 200 stream before any content falls over', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'stream-error', afterChunks: 0 },
      });
      const { data, route } = await scenario.router.chat.completions
        .create(askStream())
        .withRoute();
      expect(route.upstream).toBe('fallback');
      expect(await readAll(data)).toContain(scenario.fallback);
    });

    it('S11: a stream that ends without [DONE] but with its finish reason completes, with usage', async () => {
      scenario = await setup({ kind });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        fault: { type: 'stream-no-done' },
      });
      const stream = await scenario.router.chat.completions.create({
        ...askStream(),
        stream_options: { include_usage: true },
      });
      let usage: unknown;
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toContain(scenario.primary);
      expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
    });
  });

  it('S15: a dead primary is skipped while cooling down, probed once, and restored', async () => {
    let clock = 1_000_000;
    scenario = await setup({
      kind,
      alias: 'retry: { attempts: 1 }',
      router: { health: { failureThreshold: 2, cooldownMs: 5000 }, now: () => clock },
    });
    const rule = scenario.emulator.inject({
      match: { model: scenario.primary },
      fault: { type: 'status', status: 503 },
    });
    for (let index = 0; index < 2; index += 1) {
      const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
      expect(route.upstream).toBe('fallback');
    }
    expect(scenario.requestsFor(scenario.primary)).toHaveLength(2);

    // Cooling down: the primary is skipped (and says so in the log), no request reaches it.
    const skipped = await scenario.router.chat.completions.create(ask()).withRoute();
    expect(skipped.route.attempts[0]).toMatchObject({ upstream: 'primary', decision: 'skipped' });
    expect(scenario.requestsFor(scenario.primary)).toHaveLength(2);

    // The primary recovers; after the cool-down one call probes it and it is back.
    scenario.emulator.clearFaults();
    expect(rule.applied).toBe(2);
    clock += 5001;
    const probed = await scenario.router.chat.completions.create(ask()).withRoute();
    expect(probed.route.upstream).toBe('primary');
    const after = await scenario.router.chat.completions.create(ask()).withRoute();
    expect(after.route.upstream).toBe('primary');
    expect(scenario.requestsFor(scenario.primary)).toHaveLength(4);
  });

  // The clock moves only where the test moves it, so which target recovers first is decided
  // here, both ways round: trying the first target listed, or the one that recovers last, fails one.
  it.each([
    { recoversFirst: 'primary', primaryRetryAfter: undefined },
    { recoversFirst: 'fallback', primaryRetryAfter: '30' },
  ] as const)(
    'when every target is cooling down, the one that recovers soonest is tried ($recoversFirst)',
    async ({ recoversFirst, primaryRetryAfter }) => {
      let clock = 1_000_000;
      scenario = await setup({
        kind,
        alias: 'retry: { attempts: 1 }',
        router: {
          health: { failureThreshold: 1, cooldownMs: 5000 },
          now: () => clock,
          // The fallback fails 100 ms after the primary: with equal cool-downs it recovers later.
          onFallback: () => {
            clock += 100;
          },
        },
      });
      scenario.emulator.inject({
        match: { model: scenario.primary },
        times: 1,
        fault: {
          type: 'status',
          status: 503,
          ...(primaryRetryAfter === undefined
            ? {}
            : { headers: { 'retry-after': primaryRetryAfter } }),
        },
      });
      scenario.emulator.inject({
        match: { model: scenario.fallback },
        times: 1,
        fault: { type: 'status', status: 503 },
      });
      await rejection(scenario.router.chat.completions.create(ask()));
      clock += 10;
      const { route } = await scenario.router.chat.completions.create(ask()).withRoute();
      expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
        ['primary', 'skipped'],
        ['fallback', 'skipped'],
        [recoversFirst, 'success'],
      ]);
    },
  );
});
