/**
 * Chain resolution on hostile shapes: deep nesting and long cycles give one positioned issue
 * (never a stack overflow), each problem is reported once, by the alias where it is written.
 */
import { describe, expect, it } from 'vitest';
import { maxAliasDepth, maxChainLength } from '../../src/config/resolve-chains.ts';
import { parseConfig } from '../../src/index.ts';
import { catchConfigError, where } from './helpers.ts';

const head = `version: 1
gateways:
  g: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1" }
upstreams:
  u: { gateway: g, model: m }
  v: { gateway: g, model: n }
models:
`;

/** `a0: a1`, `a1: a2`, …, `a<n>: u`: alias a0 nests n deep. Alias a<i> is on line 8 + i. */
function chain(n: number): string {
  let text = head;
  for (let index = 0; index < n; index += 1) text += `  a${index}: a${index + 1}\n`;
  return `${text}  a${n}: u\n`;
}

describe('alias nesting', () => {
  it(`accepts nesting ${maxAliasDepth} deep (the documented limit)`, () => {
    const table = parseConfig(chain(maxAliasDepth), { env: {} });
    expect(table.aliases['a0']?.targets).toEqual(['u']);
  });

  it('reports one level deeper as INVALID_VALUE at the target that goes too deep', () => {
    const error = catchConfigError(() => parseConfig(chain(maxAliasDepth + 1), { env: {} }));
    expect(error.issues.map(where)).toEqual([{ code: 'INVALID_VALUE', line: 8, column: 7 }]);
    expect(error.issues[0]?.path).toEqual(['models', 'a0']);
    expect(error.issues[0]?.message).toContain(`the limit is ${maxAliasDepth}`);
  });

  it('reports a chain 1,600 deep (a 25 KB file) as one ConfigError with a position', () => {
    const error = catchConfigError(() => parseConfig(chain(1600), { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues).toHaveLength(1);
    const deepest = 1600 - maxAliasDepth - 1;
    expect(error.issues[0]?.path).toEqual(['models', `a${deepest}`]);
    expect(where(error.issues[0] as never)).toEqual({
      code: 'INVALID_VALUE',
      line: 8 + deepest,
      column: 10,
    });
  });

  it('reports a cycle through 3,000 aliases once, with a shortened path', () => {
    let text = head;
    for (let index = 0; index < 3000; index += 1) text += `  a${index}: a${(index + 1) % 3000}\n`;
    const error = catchConfigError(() =>
      parseConfig(text, { env: {}, limits: { maxSize: 1024 * 1024 } }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual(['FALLBACK_CYCLE']);
    expect(error.issues[0]?.message).toContain('a0 → a1 → a2 → a3 → a4 → … 2991 more →');
    expect(error.issues[0]?.line).toBeGreaterThan(7);
  });

  it('reports a cycle in a long-form alias at its target, with the cycle path', () => {
    const error = catchConfigError(() =>
      parseConfig(
        `${head}  a: { targets: [u, b] }\n  b: { targets: [v, c] }\n  c: { targets: [a] }\n`,
        {
          env: {},
        },
      ),
    );
    expect(error.issues.map(where)).toEqual([{ code: 'FALLBACK_CYCLE', line: 10, column: 18 }]);
    expect(error.issues[0]?.message).toContain('a → b → c → a');
  });
});

describe('each problem once, where it is written', () => {
  it('reports a duplicate inside a nested alias even when an outer alias is resolved first', () => {
    // `outer` comes first and names `inner`; `inner`'s own duplicate is inner's problem.
    const error = catchConfigError(() =>
      parseConfig(`${head}  outer: inner\n  inner: { targets: [u, u] }\n`, { env: {} }),
    );
    expect(error.issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['DUPLICATE_TARGET', 'models.inner.targets.1'],
    ]);
  });

  it('still limits a chain to its documented length after splicing', () => {
    // Three aliases of 11 upstreams each (a list holds at most 16): 33 after splicing.
    let text = head.replace('models:\n', '');
    for (let index = 0; index < 33; index += 1)
      text += `  u${index}: { gateway: g, model: m${index} }\n`;
    const names = (from: number) =>
      Array.from({ length: 11 }, (_, index) => `u${from + index}`).join(', ');
    text += `models:\n  long: { targets: [x, y, z] }\n  x: { targets: [${names(0)}] }\n  y: { targets: [${names(11)}] }\n  z: { targets: [${names(22)}] }\n`;
    expect(33).toBeGreaterThan(maxChainLength);
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    expect(error.issues.map((issue) => issue.code)).toEqual(['INVALID_VALUE']);
    expect(error.issues[0]?.message).toContain(`the limit is ${maxChainLength}`);
  });

  it('reports 2,000 unknown targets, one issue each, with suggestions', () => {
    let text = head;
    for (let index = 0; index < 2000; index += 1) text += `  a${index}: zz${index}\n`;
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    expect(error.issues).toHaveLength(2000);
    expect(new Set(error.issues.map((issue) => issue.code))).toEqual(
      new Set(['UNKNOWN_REFERENCE']),
    );
    expect(error.issues.at(-1)?.line).toBe(8 + 1999);
  });
});
