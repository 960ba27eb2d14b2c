/**
 * The registry of calls in flight: one timer for every deadline of a router. Pure parts with an
 * injected clock (which calls a check stops, in which order, what leaving does); the real
 * timer through a router, with two calls whose deadlines come in the opposite order to their
 * starts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, parseConfig, type RouterError } from '../../src/index.ts';
import { CallRegistry, type Registered } from '../../src/router/call-registry.ts';

function member(name: string, totalMs: number, startedAt: number, log: string[]): Registered {
  return {
    expiresAt: startedAt + totalMs,
    totalMs,
    expire: () => log.push(`expired ${name}`),
    abortWith: (reason) => log.push(`aborted ${name}: ${String(reason)}`),
    previous: undefined,
    next: undefined,
    list: undefined,
  };
}

describe('CallRegistry (injected clock, check() called by hand)', () => {
  it('stops every call whose deadline passed, earliest first, across total times', () => {
    let now = 0;
    const registry = new CallRegistry({ now: () => now });
    const log: string[] = [];
    const a = member('a', 1000, 0, log);
    const b = member('b', 1000, 10, log);
    const c = member('c', 300, 20, log);
    const d = member('d', 1000, 30, log);
    for (const entry of [a, b, c, d]) registry.add(entry);
    expect(registry.size).toBe(4);
    now = 500;
    registry.check();
    expect(log).toEqual(['expired c']);
    now = 1015;
    registry.check();
    expect(log).toEqual(['expired c', 'expired a', 'expired b']);
    expect(registry.size).toBe(1);
    registry.check();
    expect(log).toHaveLength(3);
    expect(registry.members()).toEqual([d]);
  });

  it('a call that left early is never stopped; leaving twice is harmless', () => {
    let now = 0;
    const registry = new CallRegistry({ now: () => now });
    const log: string[] = [];
    const a = member('a', 100, 0, log);
    const b = member('b', 100, 1, log);
    const c = member('c', 100, 2, log);
    registry.add(a);
    registry.add(b);
    registry.add(c);
    registry.delete(b);
    registry.delete(b);
    registry.delete(a);
    now = 1000;
    registry.check();
    expect(log).toEqual(['expired c']);
    expect(registry.size).toBe(0);
  });

  it('a deadline ended in place (a stream at commit): never expired, still closed, the calls behind it still stopped', () => {
    let now = 0;
    const registry = new CallRegistry({ now: () => now });
    const log: string[] = [];
    const a = member('a', 100, 0, log);
    const b = member('b', 100, 10, log);
    const c = member('c', 100, 20, log);
    for (const entry of [a, b, c]) registry.add(entry);
    registry.endDeadline(a);
    registry.endDeadline(c);
    now = 115;
    registry.check();
    // a moved to the calls without a deadline; b, behind it, stopped on time; c stays.
    expect(log).toEqual(['expired b']);
    expect(registry.size).toBe(2);
    now = 1e9;
    registry.check();
    expect(log).toEqual(['expired b']);
    expect(new Set(registry.members())).toEqual(new Set([a, c]));
    registry.abortAll('closed');
    expect(log.slice(1).sort()).toEqual(['aborted a: closed', 'aborted c: closed']);
    registry.delete(a);
    registry.delete(c);
    expect(registry.size).toBe(0);
  });

  it('calls of another total time after the last one added go to their own list', () => {
    let now = 0;
    const registry = new CallRegistry({ now: () => now });
    const log: string[] = [];
    const a = member('a', 1000, 0, log);
    const b = member('b', 50, 1, log);
    const c = member('c', 1000, 2, log);
    for (const entry of [a, b, c]) registry.add(entry);
    now = 60;
    registry.check();
    expect(log).toEqual(['expired b']);
    // The emptied list is gone; a new call of that total time makes a fresh one.
    const d = member('d', 50, 70, log);
    registry.add(d);
    now = 130;
    registry.check();
    expect(log).toEqual(['expired b', 'expired d']);
    now = 1003;
    registry.check();
    expect(log).toEqual(['expired b', 'expired d', 'expired a', 'expired c']);
    expect(registry.size).toBe(0);
  });

  it('a call without a deadline stays for close() and is never expired', () => {
    let now = 0;
    const registry = new CallRegistry({ now: () => now });
    const log: string[] = [];
    const streaming = member('s', 100, 0, log);
    streaming.expiresAt = Number.POSITIVE_INFINITY;
    registry.add(streaming);
    now = 1e9;
    registry.check();
    expect(log).toEqual([]);
    registry.abortAll('closed');
    expect(log).toEqual(['aborted s: closed']);
  });

  it('abortAll reaches every call, including one added to a list that was emptied', () => {
    const registry = new CallRegistry({ now: () => 0 });
    const log: string[] = [];
    const a = member('a', 50, 0, log);
    registry.add(a);
    registry.delete(a);
    const b = member('b', 50, 0, log);
    const c = member('c', 70, 0, log);
    registry.add(b);
    registry.add(c);
    registry.abortAll('x');
    expect(log.sort()).toEqual(['aborted b: x', 'aborted c: x']);
  });
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

describe('one timer for every deadline of a router', () => {
  it('a shorter deadline started later ends first; the longer call keeps running', async () => {
    const server = createServer((request) => request.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const router = createRouter(
      parseConfig(
        `version: 1
gateways:
  hang: { type: openai-compatible, baseURL: ${url}/v1, apiKey: "\${KEY}" }
upstreams:
  hung: { gateway: hang, model: m }
models:
  hung: { targets: [hung], timeout: 60s }
`,
        { env: { KEY: 'sk-test-key-0001' } },
      ),
      { health: false },
    );
    cleanup.push(
      () => router.close(),
      () => {
        server.closeAllConnections();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    );
    const ask = { model: 'hung', messages: [{ role: 'user' as const, content: 'hi' }] };
    const settled: string[] = [];
    const long = router.chat.completions.create(ask, { timeout: 30_000 }).then(
      () => settled.push('long succeeded'),
      (error: RouterError) => settled.push(`long ${error.code}`),
    );
    const short = router.chat.completions.create(ask, { timeout: 200 }).then(
      () => settled.push('short succeeded'),
      (error: RouterError) => settled.push(`short ${error.code}`),
    );
    await short;
    expect(settled).toEqual(['short DEADLINE_EXCEEDED']);
    await router.close();
    await long;
    expect(settled).toEqual(['short DEADLINE_EXCEEDED', 'long ROUTER_CLOSED']);
  });
});
