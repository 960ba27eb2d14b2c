/**
 * The Redis side of the shared health store: the keys of one upstream, and the two Lua scripts
 * that read and change them atomically on the server (see `health-redis.ts` for what each key
 * means). The failure script mirrors `nextCooldown` in `health-memory.ts`.
 */
import type { HealthTicket } from './health-memory.ts';

/**
 * Asks to send a request. KEYS: cool, tripped, probe, failures. ARGV: probe TTL. Returns
 * {1, 0, failures} healthy, {1, 1} this call probes, {0, ms} cooling (ms 0: probe in flight).
 */
export const acquireScript = `
local cool = redis.call('PTTL', KEYS[1])
if cool > 0 then return {0, cool} end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {1, 0, tonumber(redis.call('GET', KEYS[4]) or '0')}
end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return {1, 1} end
return {0, 0}`;

/**
 * Records a failure. KEYS: failures, cool, tripped, probe. ARGV: was probe (1/0), retry-after ms
 * (0 none), threshold, base cool-down, max cool-down, failure window. Returns the cool-down
 * started, in ms (0 none). Mirrors `nextCooldown` in `health-memory.ts`.
 */
export const failureScript = `
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local level = tonumber(redis.call('GET', KEYS[3]) or '0')
local asked = tonumber(ARGV[2])
local base = tonumber(ARGV[4])
local max = tonumber(ARGV[5])
if asked > max then asked = max end
local cool
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[4])
  level = math.min(max, math.max(base, level * 2))
  cool = math.max(level, asked)
elseif asked > 0 then
  level = math.max(level, base)
  cool = asked
elseif failures >= tonumber(ARGV[3]) then
  level = math.max(level, base)
  cool = level
else
  return 0
end
redis.call('SET', KEYS[2], '1', 'PX', cool)
redis.call('SET', KEYS[3], level, 'PX', cool + max)
return cool`;

/** The keys of one upstream's shared state. */
export type UpstreamKeys = {
  readonly cool: string;
  readonly tripped: string;
  readonly probe: string;
  readonly failures: string;
};

/** The keys of an upstream under `prefix`. */
export function upstreamKeys(prefix: string, upstream: string): UpstreamKeys {
  // The braces are a Redis Cluster hash tag: one upstream's keys live in one slot.
  const base = `${prefix}:health:{${upstream}}`;
  return {
    cool: `${base}:cool`,
    tripped: `${base}:tripped`,
    probe: `${base}:probe`,
    failures: `${base}:failures`,
  };
}

/**
 * What the acquire script answered: `{1, 0, failures}` healthy, `{1, 1}` this call probes,
 * `{0, ms}` cooling (`ms` 0: a probe is in flight). `undefined` for any other reply.
 */
export function readAcquireReply(
  reply: unknown,
): { ticket: HealthTicket; failures: number } | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [available, value, failures] = reply.map(Number);
  if (available !== 1) return { ticket: { available: false, retryInMs: value ?? 0 }, failures: 0 };
  return { ticket: { available: true, probe: value === 1 }, failures: failures ?? 0 };
}
