/**
 * Fuzzing the compile step and hot reload with hostile configs: deep alias chains, long cycles,
 * random alias graphs with unknown and inline references, many errors at once, and header values
 * and credentials that fetch refuses (literal and from `${VAR}`). `parseConfig` must give a table
 * or a `ConfigError` (never another exception, never a stack overflow) at a cost linear in the
 * input, and `watchConfig` must survive a writer that writes such files at random, keeping a
 * valid config serving. Deterministic in `npm test` (fixed seed); explore with
 * `FUZZ_SEED=<n> FUZZ_RUNS=<n> npx vitest run test/fuzz`.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigReloadErrorState } from '../../src/config/watch-config.ts';
import {
  ConfigError,
  createRouter,
  loadConfig,
  parseConfig,
  type RouteTable,
  watchConfig,
} from '../../src/index.ts';
import { measureCpu } from '../helpers/cpu-time.ts';

const seed = Number(process.env['FUZZ_SEED'] ?? 20_261_129);
const runs = Number(process.env['FUZZ_RUNS'] ?? 80);
/**
 * CPU time one parse may take, in ms: the documented bound for inputs up to the default size
 * limit. The main thread's CPU time, so waiting for a core does not count.
 */
const cpuBoundMs = 200;

/** Header values fetch accepts and refuses (WHATWG Fetch "header value"). */
const headerValue = fc.constantFrom(
  'plain-value',
  'caf\u00e9',
  'tab\there',
  'with\nline-feed',
  'with\rcarriage-return',
  'nul\u0000inside',
  'snow\u2603man',
  'trailing-newline\n',
);

/** A config whose `models` section is given; gateways carry (possibly hostile) headers. */
function configWith(options: { models: string[]; headerValues: string[]; fromEnv: boolean }): {
  text: string;
  env: Record<string, string>;
} {
  const env: Record<string, string> = {};
  const headers = options.headerValues
    .map((value, index) => {
      if (options.fromEnv) {
        env[`H${index}`] = value;
        return `x-h${index}: "\${H${index}}"`;
      }
      return `x-h${index}: ${JSON.stringify(value)}`;
    })
    .join(', ');
  const text = [
    'version: 1',
    'gateways:',
    `  g: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1", apiKey: "\${KEY}", headers: { ${headers} } }`,
    `  cf: { type: cloudflare, accountId: a, gatewayId: b, auth: { keys: { openai: "\${KEY}" } } }`,
    'upstreams:',
    '  u0: { gateway: g, model: m0 }',
    '  u1: { gateway: g, model: m1 }',
    '  u2: { gateway: cf, model: openai/m2 }',
    'models:',
    ...(options.models.length === 0 ? ['  only: u0'] : options.models),
    '',
  ].join('\n');
  return { text, env: { KEY: 'sk-fuzz-key-1234', ...env } };
}

/** Hostile `models` sections. */
const models = fc.oneof(
  // A chain `a0 → a1 → … → u0`, up to 3,000 deep.
  fc
    .integer({ min: 1, max: 3000 })
    .map((depth) => [
      ...Array.from({ length: depth }, (_, index) => `  a${index}: a${index + 1}`),
      `  a${depth}: u0`,
    ]),
  // A cycle through up to 3,000 aliases.
  fc
    .integer({ min: 1, max: 3000 })
    .map((length) => Array.from({ length }, (_, index) => `  a${index}: a${(index + 1) % length}`)),
  // Up to 3,000 unknown targets, each its own problem.
  fc
    .integer({ min: 1, max: 3000 })
    .map((count) => Array.from({ length: count }, (_, index) => `  a${index}: missing${index}`)),
  // A random alias graph: upstreams, other aliases (cycles and duplicates happen), unknown and
  // inline references.
  fc
    .integer({ min: 1, max: 400 })
    .chain((count) =>
      fc.array(
        fc.array(
          fc.oneof(
            fc.constantFrom('u0', 'u1', 'u2', 'g:inline', 'cf:openai/x', 'nowhere:x', 'typo', 'g:'),
            fc.nat({ max: count - 1 }).map((index) => `a${index}`),
          ),
          { minLength: 1, maxLength: 5 },
        ),
        { minLength: count, maxLength: count },
      ),
    )
    .map((graph) =>
      graph.map(
        (targets, index) =>
          `  a${index}: { targets: [${targets.map((t) => `"${t}"`).join(', ')}] }`,
      ),
    ),
);

const hostileParts = fc.record({
  models,
  headerValues: fc.array(headerValue, { maxLength: 4 }),
  fromEnv: fc.boolean(),
});
const hostileConfig = hostileParts.map(configWith);

/** parseConfig's contract on one input: a table or a ConfigError, at bounded CPU cost. */
function check(input: { text: string; env: Record<string, string> }): RouteTable | ConfigError {
  const measured = measureCpu(() => parseConfig(input.text, { env: input.env, file: 'fuzz.yaml' }));
  if (measured.cpuMs > cpuBoundMs) {
    throw new Error(
      `parseConfig took ${Math.round(measured.cpuMs)} ms of CPU (${input.text.length} characters)`,
    );
  }
  if ('thrown' in measured) {
    if (!(measured.thrown instanceof ConfigError)) {
      throw new Error(`parseConfig threw ${String(measured.thrown)}`);
    }
    expect(measured.thrown.issues.length).toBeGreaterThan(0);
    // A value is never shown: the test key does not appear in any message.
    expect(measured.thrown.message).not.toContain('sk-fuzz-key-1234');
    return measured.thrown;
  }
  return measured.result;
}

// The bound is about a warm process (a server reloading its config): compile the parser's and
// the compile step's code first, on inputs like the ones checked, without the bound.
beforeAll(() => {
  for (const input of fc.sample(hostileConfig, { seed: seed + 1, numRuns: 30 })) {
    for (let round = 0; round < 2; round += 1) {
      try {
        parseConfig(input.text, { env: input.env, file: 'warm-up.yaml' });
      } catch {
        // Only the warm-up: the checks below look at every outcome.
      }
    }
  }
});

describe('the compile step under hostile configs', () => {
  it('gives a table or a ConfigError, never another exception, at a linear cost', () => {
    let errors = 0;
    fc.assert(
      fc.property(hostileConfig, (input) => {
        if (check(input) instanceof ConfigError) errors += 1;
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
    expect(errors).toBeGreaterThan(0);
  });

  it('rejects every header value fetch refuses, and only those', () => {
    fc.assert(
      fc.property(headerValue, fc.boolean(), (value, fromEnv) => {
        const result = check(configWith({ models: [], headerValues: [value], fromEnv }));
        let refused = false;
        try {
          new Headers({ 'x-a': value });
        } catch {
          refused = true;
        }
        expect(result instanceof ConfigError).toBe(refused);
      }),
      { seed, numRuns: 40 },
    );
  });
});

describe('watchConfig under a random writer', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'switchyard-fuzz-watch-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('keeps serving a valid config, reports every bad one, and applies the last good one', async () => {
    const file = join(directory, 'config.yaml');
    const valid = configWith({ models: ['  first: u0'], headerValues: [], fromEnv: false });
    writeFileSync(file, valid.text);
    const env = valid.env;
    const router = createRouter(loadConfig(file, { env }));
    const errors: ConfigReloadErrorState[] = [];
    const watcher = watchConfig(file, {
      router,
      env,
      debounceMs: 10,
      onError: (state) => errors.push(state),
    });
    // Literal header values: the watcher's environment has only KEY.
    const inputs = fc
      .sample(hostileParts, { seed, numRuns: 25 })
      .map((parts) => configWith({ ...parts, fromEnv: false }).text);
    const random = fc.sample(fc.nat({ max: 99 }), { seed: seed + 1, numRuns: 100 });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      for (const [index, text] of inputs.entries()) {
        const style = (random[index] ?? 0) % 3;
        if (style === 0) {
          writeFileSync(file, text);
        } else if (style === 1) {
          // A writer that pauses mid-file.
          writeFileSync(file, text.slice(0, text.length >> 1));
          await pause(random[index + 1] ?? 0);
          writeFileSync(file, text);
        } else {
          const temporary = join(directory, `.config-${index}.tmp`);
          writeFileSync(temporary, text);
          renameSync(temporary, file);
        }
        await pause((random[index + 2] ?? 0) % 40);
        // Whatever happened, the router serves a compiled table.
        expect(Object.isFrozen(router.config())).toBe(true);
      }
      const last = configWith({ models: ['  last: u1'], headerValues: [], fromEnv: false }).text;
      writeFileSync(file, last);
      const deadline = performance.now() + 60_000;
      while (!('last' in router.config().aliases) && performance.now() < deadline) await pause(20);
      expect(Object.keys(router.config().aliases)).toEqual(['last']);
      for (const { error } of errors) expect(error).toBeInstanceOf(ConfigError);
      expect(watcher.closed).toBe(false);
    } finally {
      watcher.close();
      await router.close();
    }
  });
});
