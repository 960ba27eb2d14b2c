/**
 * Hooks cannot change a call or end the process: they receive frozen snapshots, and a hook that
 * throws or returns a rejected promise is caught and reported once per router as a process
 * warning (`SWITCHYARD_HOOK_FAILED`). The real SDK over real HTTP against a plain local server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, parseConfig, type Router, type RouterOptions } from '../../src/index.ts';
import { hookFailureCode } from '../../src/router/run-hook.ts';
import type { RouterTracing } from '../../src/router/tracing.ts';

let server: Server;
let url: string;
beforeAll(async () => {
  // `fail` answers 503 (retried, then the next target); anything else answers 200.
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => {
      body += data.toString();
    });
    request.on('end', () => {
      const model = (JSON.parse(body) as { model: string }).model;
      const status = model === 'fail' ? 503 : 200;
      response.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req-1' });
      response.end(
        status === 200
          ? JSON.stringify({
              id: 'x',
              object: 'chat.completion',
              created: 0,
              model,
              choices: [
                { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
              ],
            })
          : JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function routerWith(hooks: RouterOptions): Router {
  return createRouter(
    parseConfig(
      `version: 1
gateways:
  g: { type: openai-compatible, baseURL: "${url}/v1" }
models:
  chain: { targets: ["g:fail", "g:ok"], retry: { attempts: 2, initialDelay: 1ms, maxDelay: 2ms } }
`,
      { env: {} },
    ),
    { ...hooks, health: false },
  );
}

const ask = { model: 'chain', messages: [{ role: 'user' as const, content: 'hi' }] };

/** Process warnings emitted while `run` runs (and a few turns after). */
async function warningsDuring(run: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = [];
  const listener = (warning: Error) => warnings.push(warning);
  process.on('warning', listener);
  try {
    await run();
    for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    process.off('warning', listener);
  }
  return warnings;
}

describe('hooks', () => {
  it('an async hook that rejects changes nothing and is reported once, not as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let calls = 0;
    const router = routerWith({
      onAttempt: async () => {
        calls += 1;
        throw new Error('hook store is down');
      },
    });
    try {
      const warnings = await warningsDuring(async () => {
        for (let call = 0; call < 3; call += 1) {
          const { route } = await router.chat.completions.create(ask).withRoute();
          expect(route.upstream).toBe('g:ok');
        }
      });
      expect(calls).toBe(9); // 3 calls × (2 failed attempts + 1 success)
      const reported = warnings.filter(
        (warning) => (warning as Error & { code?: string }).code === hookFailureCode,
      );
      expect(reported).toHaveLength(1);
      expect(reported[0]?.message).toContain('onAttempt');
      expect(reported[0]?.message).toContain('hook store is down');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await router.close();
    }
  });

  it('with tracing on, a rejecting async hook is still caught and reported once per router', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const traced: string[] = [];
    const tracing: RouterTracing = {
      startCall: () => ({
        attempt: (attempt) => traced.push(attempt.record.decision),
        end: () => traced.push('end'),
      }),
    };
    let calls = 0;
    const router = routerWith({
      tracing,
      onAttempt: async () => {
        calls += 1;
        throw new Error('traced hook store is down');
      },
    });
    try {
      const warnings = await warningsDuring(async () => {
        for (let call = 0; call < 3; call += 1) {
          const { route } = await router.chat.completions.create(ask).withRoute();
          expect(route.upstream).toBe('g:ok');
        }
      });
      expect(calls).toBe(9);
      // The tracer saw every attempt too: the hook's failure changed nothing.
      expect(traced.filter((entry) => entry === 'end')).toHaveLength(3);
      expect(traced.filter((entry) => entry === 'fallback')).toHaveLength(3);
      const reported = warnings.filter(
        (warning) => (warning as Error & { code?: string }).code === hookFailureCode,
      );
      // Once per router, not once per call (each call wraps the hooks for its trace).
      expect(reported).toHaveLength(1);
      expect(reported[0]?.message).toContain('traced hook store is down');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await router.close();
    }
  });

  it('a hook receives frozen snapshots: writing to them cannot rewrite the route or the log', async () => {
    const states: unknown[] = [];
    const router = routerWith({
      onAttempt: (state) => {
        states.push(state);
        // A careless hook: in strict mode these writes throw, and the throw is caught.
        (state.attempt as { decision: string }).decision = 'tampered';
        (state as { model: string }).model = 'tampered';
      },
      onSuccess: (state) => {
        (state.route.attempts as unknown[]).length = 0;
        (state.route as { upstream: string }).upstream = 'tampered';
      },
    });
    try {
      await warningsDuring(async () => {
        const { route } = await router.chat.completions.create(ask).withRoute();
        expect(route.upstream).toBe('g:ok');
        expect(route.attempts.map((attempt) => attempt.decision)).toEqual([
          'retry',
          'fallback',
          'success',
        ]);
      });
      expect(states.length).toBe(3);
      for (const state of states) expect(Object.isFrozen(state)).toBe(true);
    } finally {
      await router.close();
    }
  });
});
