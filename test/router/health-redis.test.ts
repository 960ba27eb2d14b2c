/**
 * The Redis health store against a real redis-server: two router processes (forked, each with
 * its own connection) share one cool-down and send one probe between them; a new process's
 * first call already sees shared health; Redis killed in the middle of a run and restarted costs
 * no call; a Redis user without script permission (an ACL without +@scripting) gets one clear
 * line and local memory, without flapping, and checks back off; an unreachable Redis is a logged
 * fallback to local memory that never leaks the URL's password.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import { createRedisHealth, type RedisStoreClock } from '../../src/router/health-redis.ts';
import {
  findRedisServer,
  type RedisServer,
  redisMissingMessage,
  startRedisServer,
} from '../helpers/redis-server.ts';

const binary = findRedisServer();
if (binary === undefined) console.warn(redisMissingMessage);

const configYaml = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "\${GATEWAY_URL}/v1", apiKey: sk-health-test }
upstreams:
  primary: { gateway: local, model: primary-model }
  backup: { gateway: local, model: backup-model }
models:
  chat:
    targets: [primary, backup]
    retry: { attempts: 1 }
health:
  store: redis
  url: \${REDIS_URL}
  prefix: \${PREFIX}
`;

const processEntry = fileURLToPath(new URL('./fixtures/health-process.ts', import.meta.url));

type CallResult = {
  ok: boolean;
  upstream?: string;
  attempts?: string[];
  message?: string;
};

/** A router in its own process. */
class RouterProcess {
  readonly #child: ChildProcess;
  #next = 0;
  readonly #waiting = new Map<number, (message: unknown) => void>();

  constructor() {
    this.#child = fork(processEntry, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (message: { id?: number; type?: string }) => {
      const key = message.type === 'ready' ? -1 : (message.id ?? -2);
      this.#waiting.get(key)?.(message);
      this.#waiting.delete(key);
    });
  }

  async start(options: { redisUrl: string; gatewayUrl: string; prefix: string }): Promise<void> {
    const ready = new Promise((resolve) => this.#waiting.set(-1, resolve));
    this.#child.send({
      type: 'start',
      config: configYaml,
      env: { REDIS_URL: options.redisUrl, GATEWAY_URL: options.gatewayUrl, PREFIX: options.prefix },
      // A generous budget: the machine running the suite may be loaded; the outage test below
      // does not depend on it.
      health: { failureThreshold: 1, cooldownMs: 60_000, timeoutMs: 1000, recheckMs: 100 },
    });
    await ready;
  }

  #ask<T>(message: object): Promise<T> {
    const id = this.#next++;
    const answer = new Promise<T>((resolve) =>
      this.#waiting.set(id, resolve as (m: unknown) => void),
    );
    this.#child.send({ ...message, id });
    return answer;
  }

  call(): Promise<CallResult> {
    return this.#ask({ type: 'call', model: 'chat' });
  }

  async mode(): Promise<string> {
    return (await this.#ask<{ mode: string }>({ type: 'mode' })).mode;
  }

  async logs(): Promise<string[]> {
    return (await this.#ask<{ logs: string[] }>({ type: 'logs' })).logs;
  }

  async close(): Promise<void> {
    await this.#ask({ type: 'close' });
  }
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let round = 0; round < 400; round++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * A clock the test moves: `waits` lists every wait the store asked for, `fire()` runs the
 * pending one (and waits until the store has acted on it).
 */
function manualClock(): RedisStoreClock & {
  waits: number[];
  fire(): Promise<void>;
  advance(ms: number): void;
} {
  let now = 0;
  let pending: { callback: () => void; handle: object } | undefined;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    setTimeout(callback, ms) {
      waits.push(ms);
      const handle = {};
      pending = { callback, handle };
      return handle;
    },
    clearTimeout(handle) {
      if (pending?.handle === handle) pending = undefined;
    },
    async fire() {
      const due = pending;
      if (due === undefined) throw new Error('no check is pending');
      pending = undefined;
      const before = waits.length;
      now += waits.at(-1) ?? 0;
      due.callback();
      // The check is done when it scheduled the next one, or when no next one is due.
      await until(() => waits.length > before || pending === undefined, 'the check');
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
    advance(ms) {
      now += ms;
    },
  };
}

describe.skipIf(binary === undefined)('Redis health store (real redis-server)', () => {
  let redis: RedisServer;
  let emulator: Emulator;
  let inspector: ReturnType<typeof createClient>;
  let first: RouterProcess;
  let second: RouterProcess;
  const prefix = 'test-shared';
  const key = (name: string) => `${prefix}:health:{primary}:${name}`;

  beforeAll(async () => {
    redis = await startRedisServer(binary as string);
    emulator = await startEmulator({ apiKeys: ['sk-health-test'] });
    inspector = createClient({ url: redis.url });
    inspector.on('error', () => undefined);
    await inspector.connect();
    first = new RouterProcess();
    second = new RouterProcess();
    const options = { redisUrl: redis.url, gatewayUrl: emulator.url, prefix };
    await Promise.all([first.start(options), second.start(options)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([first?.close(), second?.close()]);
    inspector?.destroy();
    await redis?.kill();
    await emulator?.close();
  });

  beforeEach(() => {
    emulator.clearFaults();
    emulator.clearRequests();
  });

  const primaryRequests = () =>
    emulator.requests.filter((request) => request.model === 'primary-model').length;

  it('a cool-down started by one process is honoured by the other', async () => {
    expect([await first.mode(), await second.mode()]).toEqual(['redis', 'redis']);
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'status', status: 500 },
    });

    const failed = await first.call();
    expect(failed).toMatchObject({ ok: true, upstream: 'backup' });
    expect(failed.attempts).toEqual(['primary:fallback', 'backup:success']);
    // The failure is written after the call returns; wait for Redis to hold the cool-down.
    await until(async () => (await inspector.pTTL(key('cool'))) > 0, 'the cool-down key');

    const skipped = await second.call();
    expect(skipped).toMatchObject({ ok: true, upstream: 'backup' });
    expect(skipped.attempts).toEqual(['primary:skipped', 'backup:success']);
    expect(primaryRequests()).toBe(1);
  });

  it('when the cool-down ends, one process probes and the other keeps away until it succeeds', async () => {
    // The TTL running out, brought forward: the cool-down key disappears, "tripped" stays.
    await inspector.del(key('cool'));
    expect(await inspector.exists(key('tripped'))).toBe(1);
    // The probe is slow, so the other process calls while it is in flight.
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'delay', ms: 1500 },
    });

    const probing = first.call();
    await until(() => primaryRequests() === 1, 'the probe request');
    const meanwhile = await second.call();
    expect(meanwhile.attempts).toEqual(['primary:skipped', 'backup:success']);

    const probed = await probing;
    expect(probed).toMatchObject({ ok: true, upstream: 'primary' });
    expect(primaryRequests()).toBe(1);

    // The probe's success clears the shared state; both processes use the primary again.
    await until(async () => (await inspector.exists(key('tripped'))) === 0, 'the state to clear');
    expect(await second.call()).toMatchObject({ ok: true, upstream: 'primary' });
    expect(await first.call()).toMatchObject({ ok: true, upstream: 'primary' });
  });

  it('a router built from the config alone uses Redis, and close() ends its connection', async () => {
    const env = { REDIS_URL: redis.url, GATEWAY_URL: emulator.url, PREFIX: 'from-config' };
    const one = createRouter(parseConfig(configYaml, { env }), {
      env: {},
      health: { failureThreshold: 1 },
    });
    const two = createRouter(parseConfig(configYaml, { env }), {
      env: {},
      health: { failureThreshold: 1 },
    });
    const call = (router: typeof one) =>
      router.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .withRoute();
    try {
      // The first call of each connects in the background (and answers from memory meanwhile).
      await Promise.all([call(one), call(two)]);
      const clients = async () =>
        String(await inspector.sendCommand(['CLIENT', 'LIST']))
          .trim()
          .split('\n').length;
      await until(async () => (await clients()) >= 5, 'both routers to connect');
      emulator.clearRequests();
      emulator.inject({
        match: { model: 'primary-model' },
        times: 1,
        fault: { type: 'status', status: 500 },
      });
      expect((await call(one)).route.upstream).toBe('backup');
      await until(
        async () => (await inspector.pTTL('from-config:health:{primary}:cool')) > 0,
        'the cool-down key',
      );
      expect((await call(two)).route.attempts.map((attempt) => attempt.decision)).toEqual([
        'skipped',
        'success',
      ]);
      const before = await clients();
      await Promise.all([one.close(), two.close()]);
      await until(async () => (await clients()) === before - 2, 'the routers to disconnect');
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it("a new process's first call already sees a cool-down another process set", async () => {
    const prefix = 'cold-start';
    // Another process cooled the primary down a moment ago.
    await inspector.set(`${prefix}:health:{primary}:cool`, '1', { PX: 60_000 });
    await inspector.set(`${prefix}:health:{primary}:tripped`, '5000', { PX: 120_000 });
    const env = { REDIS_URL: redis.url, GATEWAY_URL: emulator.url, PREFIX: prefix };
    // A cold start: the router is created from the config and called at once. The budget is
    // generous because this machine may be loaded (loading the client alone took 0.8 s).
    const router = createRouter(parseConfig(configYaml, { env }), {
      env: {},
      health: { timeoutMs: 5000 },
    });
    try {
      const { route } = await router.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .withRoute();
      expect(route.attempts.map((attempt) => `${attempt.upstream}:${attempt.decision}`)).toEqual([
        'primary:skipped',
        'backup:success',
      ]);
      expect(primaryRequests()).toBe(0);
    } finally {
      await router.close();
    }
  });

  it('a Redis user without script permission: one line naming it, local memory, no flapping', async () => {
    await inspector.sendCommand([
      'ACL',
      'SETUSER',
      'noscript',
      'reset',
      'on',
      '>noscript-pa55',
      '~*',
      '+@all',
      '-@scripting',
    ]);
    const logs: string[] = [];
    const store = createRedisHealth({
      url: `redis://noscript:noscript-pa55@127.0.0.1:${redis.port}`,
      prefix: 'no-scripts',
      failureThreshold: 1,
      timeoutMs: 2000,
      // Checks every 20 ms at first: the old store flapped at each check that PING passed.
      recheckMs: 20,
      maxRecheckMs: 200,
      log: (line) => logs.push(line),
    });
    const table = parseConfig(configYaml.replace(/health:[\s\S]*$/, ''), {
      env: { GATEWAY_URL: emulator.url },
    });
    const router = createRouter(table, { env: {}, health: store });
    try {
      emulator.inject({
        match: { model: 'primary-model' },
        times: 1,
        fault: { type: 'status', status: 500 },
      });
      const upstreams: string[] = [];
      for (let index = 0; index < 25; index++) {
        const { route } = await router.chat.completions
          .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
          .withRoute();
        upstreams.push(route.upstream);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      // Local memory keeps the cool-down the first call's failure started.
      expect(upstreams.every((upstream) => upstream === 'backup')).toBe(true);
      expect(primaryRequests()).toBe(1);
      expect(store.mode).toBe('memory');
      expect(logs, logs.join('\n')).toHaveLength(1);
      expect(logs[0]).toContain('Redis refuses the EVAL command to this user');
      expect(logs[0]).toContain('ACL SETUSER <user> +@scripting');
      expect(logs.join('\n')).not.toContain('noscript-pa55');

      // Granted: the next check finds scripts allowed, and health is shared again, once.
      await inspector.sendCommand(['ACL', 'SETUSER', 'noscript', '+@scripting']);
      await until(() => store.mode === 'redis', 'the store to use Redis again');
      expect(logs.slice(1)).toEqual([
        'switchyard: the Redis health store answers again; health is shared again',
      ]);
    } finally {
      await router.close();
      await store.close();
    }
  });

  it('checks of a Redis that keeps refusing back off, and a relapse soon after is not logged again', async () => {
    await inspector.sendCommand([
      'ACL',
      'SETUSER',
      'backoff',
      'reset',
      'on',
      '>backoff-pa55',
      '~*',
      '+@all',
      '-@scripting',
    ]);
    const clock = manualClock();
    const logs: string[] = [];
    const store = createRedisHealth({
      url: `redis://backoff:backoff-pa55@127.0.0.1:${redis.port}`,
      prefix: 'backoff',
      timeoutMs: 2000,
      recheckMs: 100,
      maxRecheckMs: 1000,
      clock,
      log: (line) => logs.push(line),
    });
    const acquire = () => store.acquire('primary', 0);
    try {
      // The first step is refused: memory, one line, a check in 100 ms.
      expect(await acquire()).toEqual({ available: true, probe: false });
      expect(store.mode).toBe('memory');
      expect(clock.waits).toEqual([100]);
      // Each check refused again doubles the wait, up to maxRecheckMs; nothing more is logged.
      for (const expected of [200, 400, 800, 1000, 1000]) {
        await clock.fire();
        expect(clock.waits.at(-1)).toBe(expected);
      }
      expect(logs).toHaveLength(1);

      // Granted: back to Redis at the next check, logged once.
      await inspector.sendCommand(['ACL', 'SETUSER', 'backoff', '+@scripting']);
      await clock.fire();
      expect(store.mode).toBe('redis');
      expect(logs).toHaveLength(2);

      // Refused again soon after: the same outage goes on (no line, the wait keeps growing).
      await inspector.sendCommand(['ACL', 'SETUSER', 'backoff', '-@scripting']);
      clock.advance(500);
      await acquire();
      expect(store.mode).toBe('memory');
      expect(logs).toHaveLength(2);
      expect(clock.waits.at(-1)).toBe(1000);

      // Back, then refused long after: a new outage, logged, its checks starting short again.
      await inspector.sendCommand(['ACL', 'SETUSER', 'backoff', '+@scripting']);
      await clock.fire();
      expect(store.mode).toBe('redis');
      await inspector.sendCommand(['ACL', 'SETUSER', 'backoff', '-@scripting']);
      clock.advance(5000);
      await acquire();
      expect(store.mode).toBe('memory');
      expect(clock.waits.at(-1)).toBe(100);
      expect(logs.filter((line) => line.includes('refuses the EVAL command'))).toHaveLength(2);
    } finally {
      await store.close();
    }
  });

  it('Redis killed mid-run and restarted: no call fails, each process logs once and resumes sharing', async () => {
    const results: CallResult[] = [];
    const run = async (router: RouterProcess, count: number) => {
      for (let index = 0; index < count; index++) results.push(await router.call());
    };
    const running = Promise.all([run(first, 30), run(second, 30)]);
    await until(() => results.length >= 10, 'calls before the outage');
    await redis.kill();
    const atKill = results.length;
    await until(() => results.length >= atKill + 10, 'calls during the outage');
    await redis.restart();
    await running;

    expect(results).toHaveLength(60);
    expect(results.filter((result) => !result.ok)).toEqual([]);

    await until(
      async () => (await first.mode()) === 'redis' && (await second.mode()) === 'redis',
      'both processes to use Redis again',
    );
    for (const router of [first, second]) {
      const logs = await router.logs();
      expect(logs.length, logs.join('\n')).toBe(2);
      expect(logs.filter((line) => line.includes('unavailable'))).toHaveLength(1);
      expect(logs.filter((line) => line.includes('shared again'))).toHaveLength(1);
    }

    // Sharing works again after the restart (a fresh server: the test's own client reconnects).
    await until(() => inspector.isReady, 'the inspector to reconnect');
    emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'status', status: 503 },
    });
    expect(await first.call()).toMatchObject({ ok: true, upstream: 'backup' });
    await until(async () => (await inspector.pTTL(key('cool'))) > 0, 'the cool-down key');
    expect((await second.call()).attempts).toEqual(['primary:skipped', 'backup:success']);
  }, 60_000);
});

describe('Redis health store without a reachable server', () => {
  it('answers from local memory, logs once without the password, and keeps routing', async () => {
    const emulator = await startEmulator();
    const logs: string[] = [];
    // Port 9 on loopback: nothing listens there.
    const store = createRedisHealth({
      url: 'redis://:pa55-redis-secret@127.0.0.1:9',
      failureThreshold: 1,
      log: (line) => logs.push(line),
    });
    const table = parseConfig(configYaml.replace(/health:[\s\S]*$/, ''), {
      env: { GATEWAY_URL: emulator.url },
    });
    const router = createRouter(table, { env: {}, health: store });
    try {
      emulator.inject({
        match: { model: 'primary-model' },
        times: 1,
        fault: { type: 'status', status: 500 },
      });
      const calls = [];
      for (let index = 0; index < 5; index++) {
        calls.push(
          await router.chat.completions
            .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
            .withRoute(),
        );
        if (index === 0) await until(() => logs.length > 0, 'the fallback message');
      }
      // The first call's failure cooled the primary in local memory: later calls skip it.
      expect(calls.map((call) => call.route.upstream)).toEqual([
        'backup',
        'backup',
        'backup',
        'backup',
        'backup',
      ]);
      expect(calls[1]?.route.attempts.map((attempt) => attempt.decision)).toEqual([
        'skipped',
        'success',
      ]);
      expect(store.mode).toBe('memory');
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain('Redis health store is unavailable');
      expect(logs.join('\n')).not.toContain('pa55-redis-secret');
    } finally {
      await router.close();
      await store.close();
      await emulator.close();
    }
  });
});
