import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate-config.ts';

const vercel = { type: 'vercel', apiKey: 'k' };
const cloudflare = {
  type: 'cloudflare',
  accountId: 'acct',
  gatewayId: 'gw',
  auth: { keys: 'stored', token: 't' },
};

/** A config with the given gateways (default: one Vercel gateway `g`) and models. */
function config(parts: {
  gateways?: Record<string, unknown>;
  models?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}) {
  return {
    version: 1,
    gateways: parts.gateways ?? { g: vercel },
    models: parts.models ?? { a: 'g:x' },
    ...parts.extra,
  };
}

describe('validateConfig', () => {
  it('accepts a valid config', () => {
    expect(validateConfig(config({}))).toEqual([]);
    expect(
      validateConfig(
        config({
          gateways: { edge: cloudflare, g: vercel },
          models: {
            a: { targets: ['g:x'], timeout: { total: '20s', idle: 5000 }, retry: { attempts: 3 } },
          },
          extra: {
            defaults: { timeout: '1m', gateway: 'g' },
            $schema: './schema/config.schema.json',
          },
        }),
      ),
    ).toEqual([]);
  });

  // Each bad value yields exactly one issue, at the right path, in plain words.
  it.each([
    [
      'an unknown gateway type',
      config({ gateways: { g: { type: 'azure', apiKey: 'k' } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['gateways', 'g', 'type'],
        atKey: false,
        message: 'must be one of: "cloudflare", "vercel", "openrouter", "openai-compatible"',
      },
    ],
    [
      'a gateway without a type',
      config({ gateways: { g: { apiKey: 'k' } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['gateways', 'g'],
        atKey: true,
        message: 'missing required key "type"',
      },
    ],
    [
      'a key of another gateway type',
      config({ gateways: { g: { ...cloudflare, apiKey: 'k' } } }),
      {
        code: 'SCHEMA_UNKNOWN_KEY',
        path: ['gateways', 'g', 'apiKey'],
        atKey: true,
        message:
          'unknown key "apiKey"; allowed here: type, accountId, gatewayId, endpoint, auth, baseURL, headers, options',
      },
    ],
    [
      'a Cloudflare option on OpenRouter',
      config({ gateways: { g: { type: 'openrouter', apiKey: 'k', options: { cacheTtl: '5m' } } } }),
      {
        code: 'SCHEMA_UNKNOWN_KEY',
        path: ['gateways', 'g', 'options', 'cacheTtl'],
        atKey: true,
        message: 'unknown key "cacheTtl"; allowed here: routing, attribution',
      },
    ],
    [
      'keys that are neither "stored" nor a map',
      config({ gateways: { g: { ...cloudflare, auth: { keys: 'store' } } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['gateways', 'g', 'auth', 'keys'],
        atKey: false,
        message: 'must be "stored", or a map of provider keys such as {openai: ${OPENAI_API_KEY}}',
      },
    ],
    [
      'a provider slug that is not one',
      config({ gateways: { g: { ...cloudflare, auth: { keys: { openai: 'k', OpenAI: 'k' } } } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['gateways', 'g', 'auth', 'keys', 'OpenAI'],
        atKey: true,
        message:
          'invalid name "OpenAI": must be a provider slug such as openai, groq, workers-ai or google-ai-studio',
      },
    ],
    [
      'a bad duration inside a timeout object',
      config({ models: { a: { targets: ['g:x'], timeout: { idle: -1 } } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['models', 'a', 'timeout', 'idle'],
        atKey: false,
        message: 'must be a duration such as 250ms, 20s or 5m, or a whole number of milliseconds',
      },
    ],
    [
      'a bad timeout',
      config({ models: { a: { targets: ['g:x'], timeout: 'soon' } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['models', 'a', 'timeout'],
        atKey: false,
        message:
          'must be a duration such as 20s, or an object with total, attempt, firstToken or idle',
      },
    ],
    [
      'a misspelt alias key',
      config({ models: { a: { targets: ['g:x'], retyr: {} } } }),
      {
        code: 'SCHEMA_UNKNOWN_KEY',
        path: ['models', 'a', 'retyr'],
        atKey: true,
        message:
          'unknown key "retyr" (did you mean "retry"?); allowed here: targets, when, hedge, strategy, retry, timeout, policy, options, params, dynamicRoute',
      },
    ],
    [
      'an alias that is a list',
      config({ models: { a: ['g:x'] } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['models', 'a'],
        atKey: false,
        message: 'must be an upstream name (or <gateway>:<model>), or an object with targets',
      },
    ],
    [
      'too many targets',
      config({ models: { a: { targets: Array.from({ length: 17 }, (_, i) => `g:m${i}`) } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['models', 'a', 'targets'],
        atKey: false,
        message: 'must list at most 16 items',
      },
    ],
    [
      'a version other than 1',
      { ...config({}), version: 2 },
      { code: 'SCHEMA_VIOLATION', path: ['version'], atKey: false, message: 'must be 1' },
    ],
    [
      'a header name with a space',
      config({ gateways: { g: { ...vercel, headers: { 'x team': 'v' } } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['gateways', 'g', 'headers', 'x team'],
        atKey: true,
        message: 'invalid name "x team": must be an HTTP header name',
      },
    ],
    [
      'a too-long name, shortened in the message',
      config({ gateways: { ['n'.repeat(65)]: vercel } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['gateways', 'n'.repeat(65)],
        atKey: true,
        message: `invalid name "${'n'.repeat(40)}…": must be a name of letters, digits, '.', '_' or '-', starting with a letter or digit (at most 64 characters)`,
      },
    ],
    [
      'a fractional attempts count',
      config({ models: { a: { targets: ['g:x'], retry: { attempts: 1.5 } } } }),
      {
        code: 'SCHEMA_VIOLATION',
        path: ['models', 'a', 'retry', 'attempts'],
        atKey: false,
        message: 'must be an integer',
      },
    ],
  ])('%s', (_name, data, issue) => {
    expect(validateConfig(data)).toEqual([issue]);
  });

  it('reports every problem in one pass', () => {
    const issues = validateConfig({
      version: 2,
      gateways: { g: { type: 'vercel' } },
      models: {},
      defaults: { gatway: 'g' },
    });
    expect(issues.map((issue) => issue.path.join('.'))).toEqual([
      'version',
      'gateways.g',
      'models',
      'defaults.gatway',
    ]);
  });

  it('never puts a value in a message', () => {
    const issues = validateConfig(
      config({ gateways: { g: { ...cloudflare, accountId: 'SENTINEL value/with spaces' } } }),
    );
    expect(issues).toHaveLength(1);
    expect(JSON.stringify(issues)).not.toContain('SENTINEL');
  });

  it('rejects data that is not a map at all', () => {
    for (const data of [null, 'text', 42, [], undefined]) {
      const issues = validateConfig(data);
      expect(issues.length).toBeGreaterThan(0);
      expect(issues.every((issue) => issue.code === 'SCHEMA_VIOLATION')).toBe(true);
    }
  });
});

describe('validateConfig at scale', () => {
  /** A config of `count` aliases, each with an unknown key (one problem per alias). */
  function withUnknownKeys(count: number): unknown {
    const models: Record<string, unknown> = {};
    for (let index = 0; index < count; index += 1) {
      models[`a${index}`] = { targets: ['g:m'], [`bogus${index}`]: 1 };
    }
    return {
      version: 1,
      gateways: { g: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1' } },
      models,
    };
  }

  /** The least CPU time of a few runs, in ms (CPU time: a loaded machine's waits do not count). */
  function cpuMs(action: () => void): number {
    let least = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run += 1) {
      const before = process.cpuUsage();
      action();
      const used = process.cpuUsage(before);
      least = Math.min(least, (used.user + used.system) / 1000);
    }
    return least;
  }

  it('reports thousands of unknown keys at a cost linear in their number', () => {
    const small = withUnknownKeys(1000);
    const large = withUnknownKeys(8000);
    expect(validateConfig(small)).toHaveLength(1000);
    const issues = validateConfig(large);
    // Every problem, each at its own key.
    expect(issues).toHaveLength(8000);
    expect(issues[7999]).toMatchObject({
      code: 'SCHEMA_UNKNOWN_KEY',
      path: ['models', 'a7999', 'bogus7999'],
    });
    const smallMs = cpuMs(() => validateConfig(small));
    const largeMs = cpuMs(() => validateConfig(large));
    // Eight times the problems: about eight times the cost when linear (9× measured), 64× when
    // quadratic (ajv's generated code copied every error found so far on each sub-validator
    // call: 65× measured, 8,000 unknown keys took 3.5 s). The bound leaves room for noise.
    const costRatio = largeMs / Math.max(smallMs, 1);
    expect(costRatio).toBeLessThan(30);
  });
});
