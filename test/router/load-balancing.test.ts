/**
 * `strategy: weighted`: each call draws its order of targets by weight (deterministic under an
 * injected `random`), health memory takes cooled targets out of the rotation, and the others
 * stay fallbacks. Real calls through the `openai` SDK against the emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatPlan } from '../../src/cli/format-plan.ts';
import { paintFor } from '../../src/cli/output.ts';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import { orderTargets } from '../../src/router/resolve-plan.ts';
import { catchConfigError } from '../config/helpers.ts';

const configYaml = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: sk-balance }
upstreams:
  key-a: { gateway: local, model: model-a }
  key-b: { gateway: local, model: model-b }
  spare: { gateway: local, model: model-spare }
models:
  balanced:
    strategy: weighted
    targets:
      - { target: key-a, weight: 3 }
      - { target: key-b, weight: 1 }
      - { target: spare, weight: 0 }
    retry: { attempts: 1 }
  ordered: { targets: [key-a, key-b] }
`;

/** A small seeded generator (mulberry32), so the split is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-balance'] });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const table = () => parseConfig(configYaml, { env: { GATEWAY_URL: emulator.url } });
const ask = { model: 'balanced', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('config and plan', () => {
  it('compiles the weights and shows them in the plan, with the worst case over every target', () => {
    const router = createRouter(table(), { env: {} });
    const plan = router.resolve('balanced');
    expect(plan.strategy).toBe('weighted');
    expect(plan.targets.map((target) => [target.upstream, target.weight, target.share])).toEqual([
      ['key-a', 3, 0.75],
      ['key-b', 1, 0.25],
      ['spare', 0, 0],
    ]);
    // Any target may be tried, whichever starts: the worst case counts them all.
    expect(plan.worstCase.requests).toBe(3);
    const text = formatPlan({
      plan,
      paint: paintFor({ stream: { isTTY: false }, env: {} } as never),
    });
    expect(text).toContain('(alias, 3 targets, weighted: each call draws its order by weight)');
    expect(text).toContain('weight   3 (starts 75% of calls)');
    expect(text).toContain('weight   0 (fallback only)');
    const ordered = router.resolve('ordered');
    expect(ordered.strategy).toBeUndefined();
    expect(ordered.targets[0]?.weight).toBeUndefined();
  });

  it('rejects a weight without strategy: weighted, and weights that are all 0', () => {
    const base = `version: 1
gateways:
  local: { type: openai-compatible, baseURL: http://127.0.0.1:9/v1 }
models:
`;
    const stray = catchConfigError(() =>
      parseConfig(`${base}  m: { targets: [{ target: "local:a", weight: 2 }, "local:b"] }\n`),
    );
    expect(stray.issues.map((issue) => [issue.code, issue.path.join('.'), issue.line])).toEqual([
      ['OPTION_NOT_APPLICABLE', 'models.m.targets.0.weight', 5],
    ]);
    expect(stray.issues[0]?.message).toContain('add strategy: weighted to alias "m"');
    const zero = catchConfigError(() =>
      parseConfig(
        `${base}  m: { strategy: weighted, targets: [{ target: "local:a", weight: 0 }] }\n`,
      ),
    );
    expect(zero.issues[0]?.message).toContain('every weight is 0');
    const wrong = catchConfigError(() =>
      parseConfig(
        `${base}  m: { strategy: random, targets: [{ target: "local:a", weigth: 1 }] }\n`,
      ),
    );
    expect(wrong.message).toContain('must be one of: "ordered", "weighted"');
    expect(wrong.message).toContain('unknown key "weigth" (did you mean "weight"?)');
  });
});

describe('orderTargets', () => {
  it('draws by weight without replacement and puts weight 0 last, deterministically', () => {
    expect(orderTargets([3, 1, 0], () => 0)).toEqual([0, 1, 2]);
    expect(orderTargets([3, 1, 0], () => 0.8)).toEqual([1, 0, 2]);
    expect(orderTargets([1, 1, 1], () => 0.99)).toEqual([2, 1, 0]);
    const first = Array.from({ length: 5 }, () => orderTargets([3, 1], seeded(7)));
    expect(new Set(first.map((order) => order.join()))).toEqual(new Set([first[0]?.join()]));
  });
});

describe('calls', () => {
  it('splits 10,000 calls within 2 % of 75/25 at weights 3:1, and never uses the weight-0 spare', async () => {
    const router = createRouter(table(), { env: {}, random: seeded(42) });
    const served = new Map<string, number>();
    const total = 10_000;
    for (let sent = 0; sent < total; sent += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, () => router.chat.completions.create(ask).withRoute()),
      );
      for (const { route } of batch)
        served.set(route.upstream, (served.get(route.upstream) ?? 0) + 1);
    }
    const shareA = (served.get('key-a') ?? 0) / total;
    const shareB = (served.get('key-b') ?? 0) / total;
    expect(Math.abs(shareA - 0.75)).toBeLessThan(0.02);
    expect(Math.abs(shareB - 0.25)).toBeLessThan(0.02);
    expect(served.get('spare')).toBeUndefined();
    // One request per call: no target was tried twice or skipped.
    expect(emulator.requests).toHaveLength(total);
    await router.close();
  }, 120_000);

  it('a cooled target gets no traffic until its probe; the others carry the calls', async () => {
    let now = 1_000_000;
    const router = createRouter(table(), {
      env: {},
      random: seeded(3),
      now: () => now,
      health: { failureThreshold: 1, cooldownMs: 5000 },
    });
    const call = () => router.chat.completions.create(ask).withRoute();
    const requestsTo = (model: string) =>
      emulator.requests.filter((request) => request.model === model).length;

    // key-a fails once and cools down.
    emulator.inject({
      match: { model: 'model-a' },
      times: 1,
      fault: { type: 'status', status: 500 },
    });
    let first = await call();
    while (first.route.attempts[0]?.upstream !== 'key-a') first = await call();
    expect(first.route.attempts.map((attempt) => attempt.decision)).toEqual([
      'fallback',
      'success',
    ]);
    emulator.clearRequests();

    const during = await Promise.all(Array.from({ length: 200 }, call));
    expect(requestsTo('model-a')).toBe(0);
    expect(during.every(({ route }) => route.upstream === 'key-b')).toBe(true);
    // About three calls in four drew key-a first and skipped it.
    const skipped = during.filter(({ route }) => route.attempts[0]?.decision === 'skipped').length;
    expect(skipped).toBeGreaterThan(100);

    // The cool-down passes: the first call that draws key-a probes it, and it is back.
    now += 5000;
    emulator.clearRequests();
    let probe = await call();
    while (probe.route.upstream !== 'key-a') probe = await call();
    expect(requestsTo('model-a')).toBe(1);
    const after = await Promise.all(Array.from({ length: 400 }, call));
    const shareA = after.filter(({ route }) => route.upstream === 'key-a').length / after.length;
    expect(shareA).toBeGreaterThan(0.65);
    await router.close();
  });
});
