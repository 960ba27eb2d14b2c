/**
 * `hedge` on an alias: a streamed chat call whose first target sends no content within
 * `hedge.after` starts the next target in parallel; the first to send content serves and the
 * other request is aborted at the server. Real calls through the `openai` SDK against the
 * emulator, whose `delay` fault holds a response's headers back (a slow first token).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatPlan } from '../../src/cli/format-plan.ts';
import { paintFor } from '../../src/cli/output.ts';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { RouterError } from '../../src/errors.ts';
import { createRouter } from '../../src/router/create-router.ts';
import { budgetWindow, HedgeBudget } from '../../src/router/hedge-stream.ts';
import { catchConfigError } from '../config/helpers.ts';

const configYaml = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: sk-hedge }
upstreams:
  slow: { gateway: local, model: model-slow }
  fast: { gateway: local, model: model-fast }
  last: { gateway: local, model: model-last }
models:
  hedged:
    targets: [slow, fast]
    retry: { attempts: 1 }
    timeout: 30s
    hedge: { after: 200ms }
  plain:
    targets: [slow, fast]
    retry: { attempts: 1 }
    timeout: 30s
  frugal:
    targets: [slow, fast]
    retry: { attempts: 1 }
    timeout: 30s
    hedge: { after: 200ms, maxShare: 0.01 }
  tight:
    targets: [slow, fast]
    retry: { attempts: 1 }
    timeout: 1s
    hedge: { after: 200ms }
  three:
    targets: [slow, fast, last]
    retry: { attempts: 1 }
    timeout: { total: 30s, firstToken: 800ms }
    hedge: { after: 200ms }
`;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['sk-hedge'] });
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(() => {
  emulator.clearFaults();
  emulator.clearRequests();
});

const router = () =>
  createRouter(parseConfig(configYaml, { env: { GATEWAY_URL: emulator.url } }), { env: {} });
const requestsTo = (model: string) =>
  emulator.requests.filter((request) => request.model === model);
const ask = (model: string) => ({
  model,
  stream: true as const,
  messages: [{ role: 'user' as const, content: 'hello there' }],
});
/** The first target holds its headers back for `ms`. */
const slowFirst = (ms: number) =>
  emulator.inject({ match: { model: 'model-slow' }, fault: { type: 'delay', ms } });

async function readAll(
  stream: AsyncIterable<{ choices: { delta?: { content?: string | null } }[] }>,
) {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

/** Waits until the emulator saw both hedged requests closed by the client. */
async function bothRequestsClosed(): Promise<void> {
  await vi.waitFor(
    () => {
      expect(requestsTo('model-slow')[0]?.outcome).toBe('client-closed');
      expect(requestsTo('model-fast')[0]?.outcome).toBe('client-closed');
    },
    { timeout: 5000 },
  );
}

describe('a hedged stream', () => {
  it('is served by the second target when the first sends nothing within hedge.after, and the first request is aborted at the server', async () => {
    const hedging = router();
    slowFirst(8000);
    const started = performance.now();
    const { data, route } = await hedging.chat.completions.create(ask('hedged')).withRoute();
    const elapsed = performance.now() - started;
    expect(route.upstream).toBe('fast');
    // after (200 ms) plus a generous margin for a loaded machine, far below the first's 8 s.
    expect(elapsed).toBeLessThan(3000);
    expect(await readAll(data)).toContain('model-fast');
    expect(route.attempts).toHaveLength(2);
    expect(route.attempts[0]).toMatchObject({
      upstream: 'slow',
      decision: 'cancelled',
      hedged: true,
    });
    expect(route.attempts[1]).toMatchObject({
      upstream: 'fast',
      decision: 'success',
      hedged: true,
    });
    // The emulator saw the first request's connection closed by the client.
    await vi.waitFor(() => expect(requestsTo('model-slow')[0]?.outcome).toBe('client-closed'), {
      timeout: 5000,
    });
    expect(requestsTo('model-fast')).toHaveLength(1);
    await hedging.close();
  });

  it('without hedge, the same call waits for the first target', async () => {
    const plain = router();
    slowFirst(1200);
    const started = performance.now();
    const { data, route } = await plain.chat.completions.create(ask('plain')).withRoute();
    expect(performance.now() - started).toBeGreaterThanOrEqual(1100);
    expect(route.upstream).toBe('slow');
    expect(route.attempts).toHaveLength(1);
    expect(route.attempts[0]?.hedged).toBeUndefined();
    expect(await readAll(data)).toContain('model-slow');
    expect(requestsTo('model-fast')).toHaveLength(0);
    await plain.close();
  });

  it('a first target that answers within hedge.after is not hedged', async () => {
    const hedging = router();
    const { data, route } = await hedging.chat.completions.create(ask('hedged')).withRoute();
    expect(await readAll(data)).toContain('model-slow');
    expect(route.upstream).toBe('slow');
    expect(route.attempts).toHaveLength(1);
    expect(route.attempts[0]?.hedged).toBeUndefined();
    expect(requestsTo('model-fast')).toHaveLength(0);
    await hedging.close();
  });

  it('the budget stops a second hedge once the share is used up', async () => {
    // maxShare 0.01: one hedged call in any 100 streamed calls of the alias.
    const frugal = router();
    slowFirst(1200);
    const first = await frugal.chat.completions.create(ask('frugal')).withRoute();
    expect(first.route.upstream).toBe('fast');
    await readAll(first.data);
    const second = await frugal.chat.completions.create(ask('frugal')).withRoute();
    expect(second.route.upstream).toBe('slow');
    expect(second.route.attempts).toHaveLength(1);
    expect(await readAll(second.data)).toContain('model-slow');
    expect(requestsTo('model-fast')).toHaveLength(1);
    // Another router has its own budget.
    const other = router();
    const third = await other.chat.completions.create(ask('frugal')).withRoute();
    expect(third.route.upstream).toBe('fast');
    await readAll(third.data);
    await frugal.close();
    await other.close();
  });

  it('a failure of the second before commit leaves the first running', async () => {
    const hedging = router();
    slowFirst(1200);
    emulator.inject({ match: { model: 'model-fast' }, fault: { type: 'status', status: 500 } });
    const { data, route } = await hedging.chat.completions.create(ask('hedged')).withRoute();
    expect(route.upstream).toBe('slow');
    expect(await readAll(data)).toContain('model-slow');
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
      ['fast', 'fallback'],
      ['slow', 'success'],
    ]);
    expect(route.attempts.every((attempt) => attempt.hedged === true)).toBe(true);
    await hedging.close();
  });

  it('when both fail, the walk goes on from the next untried target', async () => {
    const hedging = router();
    // The second fails at once; the first never answers and hits its first-token limit (800 ms).
    emulator.inject({ match: { model: 'model-slow' }, fault: { type: 'hang' } });
    emulator.inject({ match: { model: 'model-fast' }, fault: { type: 'status', status: 500 } });
    const { data, route } = await hedging.chat.completions.create(ask('three')).withRoute();
    expect(route.upstream).toBe('last');
    expect(await readAll(data)).toContain('model-last');
    expect(requestsTo('model-slow')).toHaveLength(1);
    expect(requestsTo('model-fast')).toHaveLength(1);
    expect(route.attempts.at(-1)).toMatchObject({ upstream: 'last', decision: 'success' });
    expect(route.attempts.at(-1)?.hedged).toBeUndefined();
    expect(route.attempts.slice(0, 2).map((attempt) => [attempt.upstream, attempt.hedged])).toEqual(
      [
        ['fast', true],
        ['slow', true],
      ],
    );
    expect(route.attempts[1]?.errorClass).toBe('timeout');
    await hedging.close();
  });

  it('the first target sending content first after the hedge started serves, and the second request is aborted', async () => {
    const hedging = router();
    slowFirst(700);
    emulator.inject({ match: { model: 'model-fast' }, fault: { type: 'delay', ms: 8000 } });
    const { data, route } = await hedging.chat.completions.create(ask('hedged')).withRoute();
    expect(route.upstream).toBe('slow');
    expect(await readAll(data)).toContain('model-slow');
    expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
      ['fast', 'cancelled'],
      ['slow', 'success'],
    ]);
    await vi.waitFor(() => expect(requestsTo('model-fast')[0]?.outcome).toBe('client-closed'), {
      timeout: 5000,
    });
    await hedging.close();
  });

  it('the deadline ends a hedge: both requests are aborted', async () => {
    const hedging = router();
    slowFirst(8000);
    emulator.inject({ match: { model: 'model-fast' }, fault: { type: 'delay', ms: 8000 } });
    const error = await hedging.chat.completions.create(ask('tight')).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as RouterError).code).toBe('DEADLINE_EXCEEDED');
    expect((error as RouterError & { attempts: unknown[] }).attempts).toHaveLength(2);
    await bothRequestsClosed();
    await hedging.close();
  });

  it('the caller aborting during a hedge aborts both requests', async () => {
    const hedging = router();
    slowFirst(8000);
    emulator.inject({ match: { model: 'model-fast' }, fault: { type: 'delay', ms: 8000 } });
    const controller = new AbortController();
    const call = hedging.chat.completions.create(ask('hedged'), { signal: controller.signal });
    await vi.waitFor(() => expect(requestsTo('model-fast')).toHaveLength(1), { timeout: 5000 });
    controller.abort();
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RouterError);
    expect((error as RouterError).code).toBe('ABORTED');
    const attempts = (error as RouterError & { attempts: { hedged?: true }[] }).attempts;
    expect(attempts).toHaveLength(2);
    await bothRequestsClosed();
    await hedging.close();
  });

  it('router.close() during a hedge aborts both requests', async () => {
    const hedging = router();
    slowFirst(8000);
    emulator.inject({ match: { model: 'model-fast' }, fault: { type: 'delay', ms: 8000 } });
    const call = hedging.chat.completions.create(ask('hedged'));
    await vi.waitFor(() => expect(requestsTo('model-fast')).toHaveLength(1), { timeout: 5000 });
    await hedging.close();
    const error = await call.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as RouterError).code).toBe('ROUTER_CLOSED');
    await bothRequestsClosed();
  });
});

describe('the hedge budget', () => {
  it('allows max(1, floor(maxShare × 100)) hedges among the last 100 calls', () => {
    const budget = new HedgeBudget(0.02);
    expect(budget.take(budget.count())).toBe(true);
    expect(budget.take(budget.count())).toBe(true);
    expect(budget.take(budget.count())).toBe(false);
    // Calls 1 and 2 were hedged: call 101 sees only call 2 in its window (calls 2 to 101), call
    // 102 none, call 103 the two before it.
    for (let call = 4; call <= budgetWindow; call++) budget.count();
    expect(budget.take(budget.count())).toBe(true);
    expect(budget.take(budget.count())).toBe(true);
    expect(budget.take(budget.count())).toBe(false);
  });
});

describe('hedge in the config', () => {
  it('compiles after and maxShare (default 0.1) into the plan, and plan shows it', () => {
    const hedging = router();
    expect(hedging.resolve('hedged').hedge).toEqual({ afterMs: 200, maxShare: 0.1 });
    expect(hedging.resolve('frugal').hedge).toEqual({ afterMs: 200, maxShare: 0.01 });
    expect(hedging.resolve('plain').hedge).toBeUndefined();
    const text = formatPlan({
      plan: hedging.resolve('hedged'),
      paint: paintFor({ stream: { isTTY: false }, env: {} } as never),
    });
    expect(text).toContain('no content within 200ms (hedge.after) → target 2 starts in parallel');
    expect(text).toContain('worst case 2 requests');
  });

  it('refuses a malformed after, a share outside (0, 1] and an unknown key, naming the place', () => {
    const error = catchConfigError(() =>
      parseConfig(`
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1", apiKey: sk-hedge }
upstreams:
  a: { gateway: local, model: a }
  b: { gateway: local, model: b }
models:
  one: { targets: [a, b], hedge: { after: soon } }
  two: { targets: [a, b], hedge: { after: 1s, maxShare: 0 } }
  three: { targets: [a, b], hedge: { afer: 1s } }
`),
    );
    const paths = error.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining(['models.one.hedge.after', 'models.two.hedge.maxShare']),
    );
    expect(paths.some((path) => path.startsWith('models.three.hedge'))).toBe(true);
  });
});
