/**
 * `when` on an alias: the call's context picks the first matching entry's chain, else the
 * alias's own targets; entries compile with the chain rules of `targets` (nested aliases,
 * inline `<gateway>:<model>`, duplicates, unknown names), and a `when` cannot go into a
 * Cloudflare dynamic route or a weighted alias. Real calls through the `openai` SDK against the
 * emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatPlan } from '../../src/cli/format-plan.ts';
import { paintFor } from '../../src/cli/output.ts';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import { catchConfigError } from '../config/helpers.ts';

const configYaml = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: sk-when }
upstreams:
  premium: { gateway: local, model: model-premium }
  cheap: { gateway: local, model: model-cheap }
  eu: { gateway: local, model: model-eu }
models:
  budget: { targets: [cheap, "local:model-spare"] }
  chat:
    targets: [premium, cheap]
    when:
      - match: { tier: free }
        targets: [budget]
      - match: { region: [eu, ch], tier: [paid, team] }
        targets: [eu, chat]
`;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-when'] });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const table = () => parseConfig(configYaml, { env: { GATEWAY_URL: emulator.url } });
const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('choosing the chain from the context', () => {
  it("context: { tier: 'free' } picks the conditional targets", async () => {
    const router = createRouter(table(), { env: {} });
    const { route } = await router.chat.completions
      .create(ask, { context: { tier: 'free', user: 'u1' } })
      .withRoute();
    expect(route.upstream).toBe('cheap');
    expect(emulator.requests.map((request) => request.model)).toEqual(['model-cheap']);
    // The entry's chain, nested alias and inline target spliced in, falls back within itself.
    emulator.inject({ match: { model: 'model-cheap' }, fault: { type: 'status', status: 500 } });
    const fallback = await router.chat.completions
      .create(ask, { context: { tier: 'free' } })
      .withRoute();
    expect(fallback.route.attempts.map((attempt) => attempt.upstream)).toEqual([
      'cheap',
      'cheap',
      'local:model-spare',
    ]);
    expect(emulator.requests.some((request) => request.model === 'model-premium')).toBe(false);
    await router.close();
  });

  it('matches every field, any listed value, first entry first; otherwise the alias targets', async () => {
    const router = createRouter(table(), { env: {} });
    const upstreamFor = async (context?: Record<string, string>) =>
      (
        await router.chat.completions
          .create(ask, context === undefined ? {} : { context })
          .withRoute()
      ).route.upstream;
    expect(await upstreamFor({ region: 'ch', tier: 'team' })).toBe('eu');
    // One field missing or off: no match.
    expect(await upstreamFor({ region: 'ch' })).toBe('premium');
    expect(await upstreamFor({ region: 'us', tier: 'paid' })).toBe('premium');
    expect(await upstreamFor({ tier: 'Free' })).toBe('premium');
    expect(await upstreamFor()).toBe('premium');
    // The entry that names its own alias gets the alias's targets after its own.
    emulator.inject({ match: { model: 'model-eu' }, fault: { type: 'status', status: 500 } });
    const { route } = await router.chat.completions
      .create(ask, { context: { region: 'eu', tier: 'paid' } })
      .withRoute();
    expect(route.attempts.map((attempt) => attempt.upstream)).toEqual(['eu', 'eu', 'premium']);
    await router.close();
  });
});

describe('config and plan', () => {
  it('shows each condition with its chain in the plan', () => {
    const router = createRouter(table(), { env: {} });
    const plan = router.resolve('chat');
    expect(
      plan.conditions?.map((condition) => [
        condition.match,
        condition.targets.map((target) => target.upstream),
      ]),
    ).toEqual([
      [{ tier: ['free'] }, ['cheap', 'local:model-spare']],
      [{ region: ['eu', 'ch'], tier: ['paid', 'team'] }, ['eu', 'premium', 'cheap']],
    ]);
    const text = formatPlan({
      plan,
      paint: paintFor({ stream: { isTTY: false }, env: {} } as never),
    });
    expect(text).toContain('when tier = free → cheap, local:model-spare');
    expect(text).toContain('when region = eu | ch, tier = paid | team → eu, premium, cheap');
    // The longest chain (3 targets, 2 attempts each) bounds the worst case.
    expect(plan.worstCase.requests).toBe(6);
  });

  it('reports unknown targets, duplicates and the combinations it refuses, where they are written', () => {
    const base = `version: 1
gateways:
  local: { type: openai-compatible, baseURL: http://127.0.0.1:9/v1 }
  edge:
    type: cloudflare
    accountId: acc
    gatewayId: gw
    auth: { token: t, keys: stored }
upstreams:
  a: { gateway: local, model: a }
  b: { gateway: local, model: b }
  c: { gateway: edge, model: openai/gpt-4o-mini }
  vectors: { gateway: local, model: text-embedding-3-small }
  chat: { gateway: local, model: chat-model, kind: chat }
models:
`;
    const error = catchConfigError(() =>
      parseConfig(`${base}  one:
    targets: [a]
    when:
      - { match: { tier: free }, targets: [nope] }
      - { match: { tier: paid }, targets: [a, b, a] }
  weighted:
    strategy: weighted
    targets: [a, b]
    when: [{ match: { tier: free }, targets: [b] }]
  routed:
    targets: [c]
    dynamicRoute: routed
    when: [{ match: { tier: free }, targets: [a] }]
  mixed:
    targets: [a]
    when: [{ match: { tier: free }, targets: [chat] }, { match: { tier: paid }, targets: [vectors] }]
`),
    );
    const issues = error.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues).toEqual([
      ['models.one.when.0.targets.0', expect.stringContaining('unknown target "nope"')],
      [
        'models.one.when.1.targets.2',
        'upstream "a" appears more than once in the chain of alias "one" (when[1]); a target is tried once, with its retries',
      ],
      [
        'models.weighted.when',
        expect.stringContaining('cannot combine when with strategy: weighted'),
      ],
      [
        'models.routed.when',
        expect.stringContaining("Cloudflare's published dynamic-route schema"),
      ],
      [
        'models.mixed.targets',
        expect.stringContaining(
          'alias "mixed" mixes chat upstreams (chat) and embeddings upstreams (vectors)',
        ),
      ],
    ]);
  });
});
