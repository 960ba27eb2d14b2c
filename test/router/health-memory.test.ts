/**
 * The cool-down rule as a pure function, the in-memory store built on it, and the Redis failure
 * script checked against the same rule on a real redis-server (the two must agree, since
 * processes fall back from one to the other).
 */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cooldownPolicy,
  createHealthMemory,
  nextCooldown,
} from '../../src/router/health-memory.ts';
import { secretsOf } from '../../src/router/health-redis-connection.ts';
import {
  failureScript,
  readAcquireReply,
  upstreamKeys,
} from '../../src/router/health-redis-scripts.ts';
import {
  findRedisServer,
  type RedisServer,
  redisMissingMessage,
  startRedisServer,
} from '../helpers/redis-server.ts';

const policy = { threshold: 3, baseCooldownMs: 1000, maxCooldownMs: 8000 };
const failure = (input: Partial<Parameters<typeof nextCooldown>[0]>) =>
  nextCooldown({
    failures: 1,
    levelMs: 0,
    wasProbe: false,
    retryAfterMs: undefined,
    policy,
    ...input,
  });

describe('cooldownPolicy', () => {
  it('resolves the documented defaults', () => {
    expect(cooldownPolicy({})).toEqual({
      threshold: 3,
      baseCooldownMs: 5000,
      maxCooldownMs: 60_000,
    });
    expect(cooldownPolicy({ failureThreshold: 1, cooldownMs: 10, maxCooldownMs: 20 })).toEqual({
      threshold: 1,
      baseCooldownMs: 10,
      maxCooldownMs: 20,
    });
  });
});

describe('nextCooldown', () => {
  it('keeps serving below the threshold, cools for the base level at it', () => {
    expect(failure({ failures: 2 })).toBeUndefined();
    expect(failure({ failures: 3 })).toEqual({ levelMs: 1000, coolMs: 1000 });
    expect(failure({ failures: 4, levelMs: 4000 })).toEqual({ levelMs: 4000, coolMs: 4000 });
  });

  it('honours a Retry-After at once, capped at the maximum', () => {
    expect(failure({ retryAfterMs: 2500 })).toEqual({ levelMs: 1000, coolMs: 2500 });
    expect(failure({ retryAfterMs: 99_000 })).toEqual({ levelMs: 1000, coolMs: 8000 });
    expect(failure({ retryAfterMs: 0 })).toBeUndefined();
  });

  it('doubles the level after a failed probe, up to the maximum, and takes a longer Retry-After', () => {
    expect(failure({ wasProbe: true, levelMs: 1000 })).toEqual({ levelMs: 2000, coolMs: 2000 });
    expect(failure({ wasProbe: true, levelMs: 6000 })).toEqual({ levelMs: 8000, coolMs: 8000 });
    expect(failure({ wasProbe: true, levelMs: 0 })).toEqual({ levelMs: 1000, coolMs: 1000 });
    expect(failure({ wasProbe: true, levelMs: 1000, retryAfterMs: 5000 })).toEqual({
      levelMs: 2000,
      coolMs: 5000,
    });
  });
});

describe('createHealthMemory', () => {
  it('cools, probes once, doubles after a failed probe, and forgets on success', () => {
    const memory = createHealthMemory({
      failureThreshold: 2,
      cooldownMs: 100,
      maxCooldownMs: 1000,
    });
    memory.recordFailure('a', { now: 0 });
    expect(memory.acquire('a', 1)).toEqual({ available: true, probe: false });
    memory.recordFailure('a', { now: 10 });
    expect(memory.acquire('a', 20)).toEqual({ available: false, retryInMs: 90 });
    expect(memory.acquire('a', 110)).toEqual({ available: true, probe: true });
    expect(memory.acquire('a', 111)).toEqual({ available: false, retryInMs: 0 });
    memory.recordFailure('a', { now: 120 });
    expect(memory.acquire('a', 319)).toEqual({ available: false, retryInMs: 1 });
    expect(memory.acquire('a', 320)).toEqual({ available: true, probe: true });
    memory.recordSuccess('a', 330);
    expect(memory.size).toBe(0);
    expect(memory.acquire('a', 331)).toEqual({ available: true, probe: false });
  });

  it('forgets the least recently touched upstream past maxEntries', () => {
    const memory = createHealthMemory({ failureThreshold: 1, maxEntries: 2 });
    memory.recordFailure('a', { now: 0 });
    memory.recordFailure('b', { now: 0 });
    memory.recordFailure('a', { now: 1 }); // a is now the most recent
    memory.recordFailure('c', { now: 2 });
    expect(memory.size).toBe(2);
    expect(memory.acquire('b', 3)).toEqual({ available: true, probe: false });
    expect(memory.acquire('a', 3).available).toBe(false);
  });
});

describe('the Redis keys and replies', () => {
  it('keeps one upstream in one cluster slot under the prefix', () => {
    expect(upstreamKeys('app', 'openai/gpt')).toEqual({
      cool: 'app:health:{openai/gpt}:cool',
      tripped: 'app:health:{openai/gpt}:tripped',
      probe: 'app:health:{openai/gpt}:probe',
      failures: 'app:health:{openai/gpt}:failures',
    });
  });

  it('reads each answer of the acquire script, and nothing else', () => {
    expect(readAcquireReply([1, 0, 2])).toEqual({
      ticket: { available: true, probe: false },
      failures: 2,
    });
    expect(readAcquireReply([1, 1])).toEqual({
      ticket: { available: true, probe: true },
      failures: 0,
    });
    expect(readAcquireReply([0, 1500])).toEqual({
      ticket: { available: false, retryInMs: 1500 },
      failures: 0,
    });
    expect(readAcquireReply('OK')).toBeUndefined();
  });

  it('knows the password of a Redis URL, encoded or not', () => {
    expect(secretsOf('redis://user:p%40ss@127.0.0.1:6379')).toEqual([
      'redis://user:p%40ss@127.0.0.1:6379',
      'p%40ss',
      'p@ss',
    ]);
    expect(secretsOf(undefined)).toEqual([]);
    expect(secretsOf('not a url')).toEqual(['not a url']);
  });
});

const binary = findRedisServer();
if (binary === undefined) console.warn(redisMissingMessage);

describe.skipIf(binary === undefined)('the failure script on a real redis-server', () => {
  let redis: RedisServer;
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await startRedisServer(binary as string);
    client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await redis?.kill();
  });

  /** Runs the script once for a fresh upstream with `failures` and `level` set beforehand. */
  async function runScript(index: number, input: Parameters<typeof nextCooldown>[0]) {
    const keys = upstreamKeys('script-test', `u${index}`);
    if (input.failures > 1) await client.set(keys.failures, String(input.failures - 1));
    if (input.levelMs > 0) await client.set(keys.tripped, String(input.levelMs));
    const cool = Number(
      await client.sendCommand([
        'EVAL',
        failureScript,
        '4',
        keys.failures,
        keys.cool,
        keys.tripped,
        keys.probe,
        input.wasProbe ? '1' : '0',
        String(input.retryAfterMs ?? 0),
        String(policy.threshold),
        String(policy.baseCooldownMs),
        String(policy.maxCooldownMs),
        '60000',
      ]),
    );
    const level = Number((await client.get(keys.tripped)) ?? '0');
    return cool === 0 ? undefined : { levelMs: level, coolMs: cool };
  }

  it('starts the same cool-down as nextCooldown for each kind of failure', async () => {
    const cases = [
      { failures: 2, levelMs: 0, wasProbe: false, retryAfterMs: undefined },
      { failures: 3, levelMs: 0, wasProbe: false, retryAfterMs: undefined },
      { failures: 1, levelMs: 0, wasProbe: false, retryAfterMs: 2500 },
      { failures: 1, levelMs: 0, wasProbe: false, retryAfterMs: 99_000 },
      { failures: 1, levelMs: 1000, wasProbe: true, retryAfterMs: undefined },
      { failures: 1, levelMs: 6000, wasProbe: true, retryAfterMs: undefined },
      { failures: 1, levelMs: 1000, wasProbe: true, retryAfterMs: 5000 },
    ];
    for (const [index, input] of cases.entries()) {
      const expected = nextCooldown({ ...input, policy });
      expect(await runScript(index, { ...input, policy }), JSON.stringify(input)).toEqual(expected);
    }
  });
});
