/**
 * Slow is not dead, over real HTTP through the emulator and the real `openai` SDK:
 *
 * - the README quick start's alias (`timeout: 2m`, two targets, `retry.attempts: 2`) serves
 *   answers that take 6 s and 45 s with exactly one request, and a first target that never
 *   answers still leaves the second one served before the deadline, and a stream whose headers
 *   came at once may take longer than its share to its first content. These run with every
 *   duration of the config and of the emulator's delays scaled down by 50 (2m → 2.4 s,
 *   6 s → 120 ms, 45 s → 900 ms): the router's limits are proportions of the deadline, so the
 *   scaled run takes the same decisions; the unscaled config's limits are checked without I/O;
 * - a refused first target is passed over in under 20 ms with default settings, measured in
 *   real time (the one bound here that is itself the guarantee).
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findPlanWarnings } from '../../src/cli/format-plan.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import { createRouter, parseConfig } from '../../src/index.ts';
import { ask, askStream, readAll, type Scenario, setup } from './harness.ts';

/** The README quick start's alias settings. */
const quickStartAlias = 'retry: { attempts: 2 }\ntimeout: 2m';
/** The same, every duration divided by 50. */
const scale = 50;
const scaledAlias = `retry: { attempts: 2, initialDelay: ${250 / scale}ms, maxDelay: ${8000 / scale}ms }\ntimeout: ${120_000 / scale}ms`;

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe("the quick start's timeouts", () => {
  it('give each of its two targets a minute of a two-minute deadline, without a warning', async () => {
    scenario = await setup({ kind: 'openai-compatible', alias: quickStartAlias });
    const plan = scenario.router.resolve('chain');
    expect(plan.timeouts).toMatchObject({ totalMs: 120_000, attemptMs: 120_000, handOver: true });
    expect(findPlanWarnings(plan)).toEqual([]);
  });

  for (const seconds of [6, 45]) {
    it(`serve a ${seconds} s answer with exactly one request, plain and streamed (scaled)`, async () => {
      scenario = await setup({ kind: 'cloudflare', alias: scaledAlias });
      const { emulator, router, primary, fallback } = scenario;
      emulator.inject({
        match: { model: primary },
        fault: { type: 'delay', ms: (seconds * 1000) / scale },
      });
      const { data, route } = await router.chat.completions.create(ask()).withRoute();
      expect(data.choices[0]?.message.content).not.toBe('');
      expect(route.attempts.map((attempt) => attempt.decision)).toEqual(['success']);
      const stream = await router.chat.completions.create(askStream());
      expect(await readAll(stream)).not.toBe('');
      expect(scenario.requestsFor(primary)).toHaveLength(2);
      expect(scenario.requestsFor(fallback)).toHaveLength(0);
    });
  }

  it('let a stream that has answered take longer than its share to its first content (scaled)', async () => {
    scenario = await setup({ kind: 'openai-compatible', alias: scaledAlias });
    const { emulator, router, primary, fallback } = scenario;
    // Headers at once, then only keep-alive comments for 1.5 s (75 s unscaled, a reasoning
    // model thinking): past its 1.2 s share, within the 2.4 s deadline.
    emulator.inject({ match: { model: primary }, fault: { type: 'keep-alive', ms: 1500 } });
    const { data, route } = await router.chat.completions.create(askStream()).withRoute();
    expect(await readAll(data)).not.toBe('');
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
      ['primary', 'success'],
    ]);
    expect(scenario.requestsFor(primary)).toHaveLength(1);
    expect(scenario.requestsFor(fallback)).toHaveLength(0);
  });

  it('hand a first target that never answers over to the second before the deadline (scaled)', async () => {
    scenario = await setup({ kind: 'cloudflare', alias: scaledAlias });
    const { emulator, router, primary, fallback } = scenario;
    emulator.inject({ match: { model: primary }, fault: { type: 'hang' } });
    const started = performance.now();
    const { route } = await router.chat.completions.create(ask()).withRoute();
    const elapsed = performance.now() - started;
    expect(route.upstream).toBe('fallback');
    expect(route.attempts).toEqual([
      expect.objectContaining({
        upstream: 'primary',
        errorClass: 'timeout',
        decision: 'fallback',
        waitMs: 0,
      }),
      expect.objectContaining({ upstream: 'fallback', decision: 'success' }),
    ]);
    // Its share: half of the 2.4 s deadline; no second try on the hung target.
    expect(route.attempts[0]?.durationMs).toBeGreaterThanOrEqual(1150);
    expect(scenario.requestsFor(primary)).toHaveLength(1);
    expect(scenario.requestsFor(fallback)).toHaveLength(1);
    expect(elapsed).toBeLessThan(120_000 / scale);
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('a refused connection', () => {
  it('is passed over in under 20 ms with default settings (real time)', async () => {
    const emulator = await startEmulator({});
    const port = await closedPort();
    const yaml = [
      'version: 1',
      'gateways:',
      `  dead: { type: openai-compatible, baseURL: "http://127.0.0.1:${port}/v1", apiKey: k }`,
      `  live: { type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: k }`,
      'upstreams:',
      '  primary: { gateway: dead, model: primary-model }',
      '  backup: { gateway: live, model: backup-model }',
      'models:',
      '  chain: { targets: [primary, backup] }',
    ].join('\n');
    // Default settings in the config (retry, timeouts, policy). Health memory is off here only
    // because it would start skipping the refused primary after three calls, which passes it
    // over too, but is not the path under test.
    const router = createRouter(parseConfig(yaml, { env: {} }), { env: {}, health: false });
    try {
      // The first call loads and warms what a process has ready after its first request.
      await router.chat.completions.create(ask());
      // Wall time on a loaded 2-core machine: the best of five calls, each of which must move
      // on without a wait (the no-sleep part is exact; the time bound is the 20 ms).
      const passedOver: number[] = [];
      for (let call = 0; call < 5; call++) {
        const started = performance.now();
        const { route } = await router.chat.completions.create(ask()).withRoute();
        const backup = emulator.requests.filter((request) => request.model === 'backup-model');
        passedOver.push((backup.at(-1)?.time ?? Number.POSITIVE_INFINITY) - started);
        expect(route.attempts).toEqual([
          expect.objectContaining({
            upstream: 'primary',
            errorClass: 'network',
            decision: 'fallback',
            waitMs: 0,
          }),
          expect.objectContaining({ upstream: 'backup', decision: 'success' }),
        ]);
      }
      expect(Math.min(...passedOver)).toBeLessThan(20);
    } finally {
      await router.close();
      await emulator.close();
    }
  });
});
