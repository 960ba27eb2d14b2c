/**
 * Running a deployed dynamic route, with the fault source, the credential check and the clock
 * injected: retries within a model element, fallback to the next one, timeouts, conditions on
 * `cf-aig-metadata`, and the element checks the routes API makes before storing a route. The
 * element semantics follow Cloudflare's dynamic routing docs
 * (https://developers.cloudflare.com/ai-gateway/features/dynamic-routing/).
 */
import { describe, expect, it } from 'vitest';
import { checkRouteElements } from '../../src/emulator/check-route-elements.ts';
import type { DeployedRoute, StoredElement } from '../../src/emulator/dynamic-routes.ts';
import type { Fault } from '../../src/emulator/faults.ts';
import { matchesConditions, runRoute } from '../../src/emulator/run-route.ts';

const model = (id: string, name: string, next: { fallback: string; retries?: number }) => ({
  id,
  type: 'model',
  properties: { provider: 'openai', model: name, retries: next.retries ?? 0, timeout: 500 },
  outputs: { success: { elementId: 'end' }, fallback: { elementId: next.fallback } },
});

const routeOf = (elements: StoredElement[]): DeployedRoute => ({
  id: 'route_1',
  name: 'r',
  versionId: 'ver_1',
  elements,
});

const twoModels = routeOf([
  { id: 'start', type: 'start', outputs: { next: { elementId: 'a' } } },
  model('a', 'first', { fallback: 'b', retries: 1 }),
  model('b', 'second', { fallback: 'end' }),
  { id: 'end', type: 'end', outputs: {} },
]);

/** Faults handed out in order, per model; a recorded clock instead of real waits. */
function harness(faults: Record<string, (Fault | undefined)[]>) {
  const waited: number[] = [];
  return {
    waited,
    take: (label: string) => faults[label]?.shift(),
    admit: () => true,
    wait: async (ms: number) => {
      waited.push(ms);
      return true;
    },
  };
}

describe('runRoute', () => {
  it('retries a model element, then falls back to the next one', async () => {
    const io = harness({ 'openai/first': [{ type: 'status', status: 503 }, { type: 'reset' }] });
    const outcome = await runRoute({ route: twoModels, metadata: undefined, ...io });
    expect(outcome).toEqual({
      ok: true,
      provider: 'openai',
      model: 'second',
      fault: undefined,
      steps: [
        {
          element: 'a',
          model: 'openai/first',
          attempt: 1,
          outcome: 'failed',
          reason: 'status 503',
        },
        { element: 'a', model: 'openai/first', attempt: 2, outcome: 'failed', reason: 'reset' },
        { element: 'b', model: 'openai/second', attempt: 1, outcome: 'success' },
      ],
    });
  });

  it('a delay under the timeout serves; a hang fails the try after the timeout', async () => {
    const io = harness({
      'openai/first': [{ type: 'hang' }, { type: 'delay', ms: 200 }],
    });
    const outcome = await runRoute({ route: twoModels, metadata: undefined, ...io });
    expect(outcome).toMatchObject({ ok: true, model: 'first' });
    expect(outcome.steps[0]).toMatchObject({
      outcome: 'failed',
      reason: 'no response within 500 ms',
    });
    expect(io.waited).toEqual([500, 200]);
  });

  it('a stream fault commits the route and is handed on to the answer', async () => {
    const fault: Fault = { type: 'stream-cut', afterChunks: 2 };
    const io = harness({ 'openai/first': [fault] });
    expect(await runRoute({ route: twoModels, metadata: undefined, ...io })).toMatchObject({
      ok: true,
      model: 'first',
      fault,
    });
  });

  it('fails at end, and when no provider has a credential', async () => {
    const io = { ...harness({}), admit: () => false };
    const outcome = await runRoute({ route: twoModels, metadata: undefined, ...io });
    expect(outcome.ok).toBe(false);
    expect(outcome.steps.map((step) => step.reason)).toEqual([
      'no credential for provider "openai"',
      'no credential for provider "openai"',
      'no credential for provider "openai"',
    ]);
  });

  it('stops when the request goes away during a wait', async () => {
    const io = { ...harness({ 'openai/first': [{ type: 'hang' }] }), wait: async () => false };
    expect(await runRoute({ route: twoModels, metadata: undefined, ...io })).toEqual({
      ok: false,
      steps: [],
    });
  });

  it('follows a conditional by metadata, and a percentage by its first branch', async () => {
    const route = routeOf([
      { id: 'start', type: 'start', outputs: { next: { elementId: 'if' } } },
      {
        id: 'if',
        type: 'conditional',
        properties: { conditions: { 'metadata.plan': { $eq: 'pro' } } },
        outputs: { true: { elementId: 'split' }, false: { elementId: 'b' } },
      },
      {
        id: 'split',
        type: 'percentage',
        outputs: { '50%': { elementId: 'a' }, rest: { elementId: 'b' } },
      },
      model('a', 'first', { fallback: 'end' }),
      model('b', 'second', { fallback: 'end' }),
      { id: 'end', type: 'end', outputs: {} },
    ]);
    const run = (plan: string) => runRoute({ route, metadata: { plan }, ...harness({}) });
    expect(await run('pro')).toMatchObject({ model: 'first' });
    expect(await run('free')).toMatchObject({ model: 'second' });
  });

  it('ends a route that loops', async () => {
    const route = routeOf([
      { id: 'start', type: 'start', outputs: { next: { elementId: 'gate' } } },
      { id: 'gate', type: 'rate', outputs: { success: { elementId: 'gate' } } },
    ]);
    expect(await runRoute({ route, metadata: undefined, ...harness({}) })).toEqual({
      ok: false,
      steps: [],
    });
  });
});

describe('matchesConditions', () => {
  const metadata = { plan: 'pro', region: 'eu' };
  it.each([
    [{ 'metadata.plan': 'pro' }, true],
    [{ 'metadata.plan': { $ne: 'pro' } }, false],
    [{ 'metadata.region': { $in: ['us', 'eu'] } }, true],
    [{ $and: [{ 'metadata.plan': 'pro' }, { 'metadata.region': 'us' }] }, false],
    [{ $or: [{ 'metadata.plan': 'free' }, { 'metadata.region': 'eu' }] }, true],
    [{ plan: 'pro' }, false],
    ['not an object', false],
  ])('%j → %s', (conditions, expected) => {
    expect(matchesConditions({ conditions, metadata })).toBe(expected);
  });
});

describe('checkRouteElements', () => {
  it('passes a well-formed route through unchanged', () => {
    expect(checkRouteElements(twoModels.elements)).toEqual({ ok: true, value: twoModels.elements });
  });

  it('reports the first problem, in element order', () => {
    const elements = [
      { id: 'start', type: 'start', outputs: { next: { elementId: 'nowhere' } } },
      { id: 'm', type: 'model', properties: {}, outputs: {} },
    ];
    expect(checkRouteElements(elements)).toEqual({
      ok: false,
      path: ['elements', 0, 'outputs', 'next'],
      message: 'must name an element of the route',
    });
  });
});
