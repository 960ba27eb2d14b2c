/**
 * `__proto__`, `constructor`, `toString` and friends are plain data: loading never pollutes
 * `Object.prototype`, lookups never reach it, and the table cannot be changed afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RouteTable } from '../../src/config/route-table.ts';
import { parseConfig, Secret } from '../../src/index.ts';
import { catchConfigError, parseFixture, where } from './helpers.ts';

/** `__proto__` as a computed key: the property, not the accessor the linter warns about. */
const protoKey = '__proto__';

afterEach(() => {
  // Belt and braces: a failing test must not leave pollution behind for the next one.
  delete (Object.prototype as Record<string, unknown>)['polluted'];
});

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
}

/** Every object reachable from `value` (Secrets excluded: they hold no structure). */
function objectsIn(value: unknown): object[] {
  const found: object[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null || item instanceof Secret || seen.has(item)) {
      continue;
    }
    seen.add(item);
    found.push(item);
    for (const key of Reflect.ownKeys(item)) {
      stack.push((item as Record<PropertyKey, unknown>)[key]);
    }
  }
  return found;
}

describe('names that are Object.prototype members', () => {
  const table = parseFixture('prototype-keys.yaml');

  it('do not pollute Object.prototype, through names, params or headers', () => {
    expectNoPollution();
    // Merging alias params over upstream params is where a deep merge would pollute.
    const params = {
      ...table.upstreams['toString']?.params,
      ...table.aliases['hasOwnProperty']?.params,
    };
    expect(Object.keys(params)).toContain('__proto__');
    expectNoPollution();
  });

  it('are found only when declared', () => {
    expect(Object.keys(table.gateways)).toEqual(['constructor']);
    expect(Object.keys(table.upstreams)).toEqual(['toString']);
    expect(Object.keys(table.aliases)).toEqual(['valueOf', 'hasOwnProperty']);
    expect(table.gateways['constructor']?.type).toBe('openai-compatible');
    expect(table.aliases['valueOf']?.targets).toEqual(['toString']);
    expect(table.upstreams['toString']?.gateway).toBe('constructor');
    // Not declared: nothing, although Object.prototype has these members.
    expect(table.aliases['toString']).toBeUndefined();
    expect(table.aliases['constructor']).toBeUndefined();
    expect(table.aliases[protoKey]).toBeUndefined();
    expect(table.gateways['hasOwnProperty']).toBeUndefined();
    expect(table.upstreams['valueOf']).toBeUndefined();
    expect('toString' in table.aliases).toBe(false);
  });

  it('keeps __proto__ and constructor in params and headers as data', () => {
    const params = table.upstreams['toString']?.params ?? {};
    expect(Object.getPrototypeOf(params)).toBeNull();
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor', 'temperature']);
    expect(Object.hasOwn(params, '__proto__')).toBe(true);
    expect(params[protoKey]).toEqual({ polluted: true });
    expect(params['constructor']).toEqual({ prototype: { polluted: true } });
    const aliasParams = table.aliases['hasOwnProperty']?.params ?? {};
    expect(Object.keys(aliasParams)).toEqual(['__proto__']);
    const headers = table.gateways['constructor']?.headers ?? {};
    expect(Object.keys(headers)).toEqual(['__proto__', 'x-polluted']);
    expect((headers[protoKey] as Secret).reveal()).toBe('header named __proto__');
    // The wire form is plain JSON with the field in it.
    const wire = JSON.parse(JSON.stringify(params)) as Record<string, unknown>;
    expect(Object.hasOwn(wire, '__proto__')).toBe(true);
    expect(JSON.stringify(wire[protoKey])).toBe('{"polluted":true}');
  });

  it('uses null-prototype records for every lookup table', () => {
    const records = [
      table.gateways,
      table.upstreams,
      table.aliases,
      table.defaults.policy,
      table.gateways['constructor']?.headers,
      table.gateways['constructor']?.options,
      table.upstreams['toString']?.params,
      table.upstreams['toString']?.options,
      table.aliases['valueOf']?.policy,
      table.aliases['valueOf']?.options,
      table.aliases['valueOf']?.params,
    ];
    for (const record of records) {
      expect(record).toBeDefined();
      expect(Object.getPrototypeOf(record)).toBeNull();
    }
  });

  it('rejects __proto__ as a gateway, upstream or alias name', () => {
    const error = catchConfigError(() => parseFixture('proto-name.yaml'));
    expect(error.issues.map(where)).toEqual([{ code: 'SCHEMA_VIOLATION', line: 3, column: 3 }]);
    expect(error.issues[0]?.message).toContain('invalid name "__proto__"');
    expectNoPollution();
  });

  it('leaves Object.prototype alone when metadata, params and env use hostile names', () => {
    const text = `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth: { keys: { openai: k } }
    options: { metadata: { __proto__: x, constructor: y } }
models:
  prototype:
    targets: ["edge:openai/gpt-4o"]
    params: { __proto__: { polluted: true }, prototype: { polluted: true } }
    options: { metadata: { toString: z } }
`;
    const loaded = parseConfig(text, { env: {} });
    expectNoPollution();
    expect(Object.keys(loaded.gateways['edge']?.options.metadata ?? {})).toEqual([
      '__proto__',
      'constructor',
    ]);
    expect(loaded.aliases['prototype']?.targets).toEqual(['edge:openai/gpt-4o']);
  });
});

describe('a frozen table', () => {
  const table: RouteTable = parseFixture('valid.yaml');

  it('is frozen all the way down', () => {
    const objects = objectsIn(table);
    expect(objects.length).toBeGreaterThan(40);
    for (const object of objects) expect(Object.isFrozen(object)).toBe(true);
  });

  it('rejects changes (ES modules run in strict mode)', () => {
    const alias = table.aliases['fast'] as unknown as {
      targets: string[];
      retry: { attempts: number };
    };
    expect(() => {
      alias.targets.push('evil');
    }).toThrow(TypeError);
    expect(() => {
      alias.retry.attempts = 99;
    }).toThrow(TypeError);
    expect(() => {
      (table.aliases as Record<string, unknown>)['evil'] = {};
    }).toThrow(TypeError);
    const params = table.upstreams['claude']?.params as Record<string, unknown>;
    expect(() => {
      params['max_tokens'] = 1;
    }).toThrow(TypeError);
    expect(table.aliases['fast']?.targets).toEqual(['llama-groq', 'gpt-mini-or']);
  });

  it('freezes values shared through YAML anchors, and parses equal text to equal tables', () => {
    const text = `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }
upstreams:
  a: { gateway: local, model: a, params: &shared { stop: [x, y] } }
  b: { gateway: local, model: b, params: *shared }
models:
  fast: { targets: [a, b] }
`;
    const first = parseConfig(text, { env: {} });
    for (const object of objectsIn(first)) expect(Object.isFrozen(object)).toBe(true);
    expect(first.upstreams['b']?.params['stop']).toEqual(['x', 'y']);
    expect(JSON.stringify(parseConfig(text, { env: {} }))).toBe(JSON.stringify(first));
  });
});
