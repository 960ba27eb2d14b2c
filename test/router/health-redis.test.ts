/**
 * The Redis health store against a real redis-server: two router processes (forked, each with
 * its own connection) share one cool-down and send one probe between them; Redis killed in the
 * middle of a run and restarted costs no call; an unreachable Redis is a logged fallback to
 * local memory that never leaks the URL's password.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.ts';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createRouter } from '../../src/router/create-router.ts';
import { createRedisHealth } from '../../src/router/health-redis.ts';
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
