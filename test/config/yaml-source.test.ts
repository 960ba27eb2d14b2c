import { describe, expect, it } from 'vitest';
import {
  defaultYamlLimits,
  locate,
  parseYamlSource,
  type YamlSource,
} from '../../src/config/yaml-source.ts';
import { parseConfig } from '../../src/index.ts';
import { readFixture, timeConfigError, where } from './helpers.ts';

/** Generous bound for "quickly": the target is < 100 ms; a slow CI box gets headroom. */
const fastMs = 500;

const head = 'version: 1\ngateways:\n  local:\n    type: openai-compatible\n';

/** A size limit of 1 MiB, for inputs that test something else than the size limit. */
const wide = { maxSize: 1024 * 1024 };

function sourceOf(text: string): YamlSource {
  const parsed = parseYamlSource(text, defaultYamlLimits);
  if (!parsed.ok) throw new Error(parsed.issues.map((issue) => issue.message).join('; '));
  return parsed.source;
}

describe('hostile YAML is rejected quickly, with a typed issue', () => {
  it('an alias bomb (billion laughs)', () => {
    const text = readFixture('alias-bomb.yaml');
    const { error, ms } = timeConfigError(() => parseConfig(text, { env: {} }));
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map(where)).toEqual([{ code: 'YAML_ALIAS_LIMIT', line: 4, column: 8 }]);
    expect(error.issues[0]?.message).toContain('alias bomb');
  });

  it('an alias bomb in a single line of flow collections', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 12; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const { error, ms } = timeConfigError(() => parseConfig(`${levels.join('\n')}\n`, { env: {} }));
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues[0]?.code).toBe('YAML_ALIAS_LIMIT');
  });

  it('lists written inline past maxCollections, at the one too many, before yaml parses them', () => {
    // 200 KiB of `[1], ` in one list: within the size limit, far past what a config needs.
    const items = Array.from({ length: 30_000 }, () => '[1]').join(', ');
    const text = `version: 1\nx: [${items}]\n`;
    const { error } = timeConfigError(() => parseConfig(text, { env: {} }));
    // The list itself is the first collection; the 25,000th `[1]` opens the 25,001st.
    expect(error.issues.map(where)).toEqual([
      { code: 'YAML_TOO_MANY_COLLECTIONS', line: 2, column: 5 + 24_999 * 5 },
    ]);
    expect(error.issues[0]?.message).toContain('limits.maxCollections');
    // Raised, the same text goes on to the schema (which does not know `x`).
    const raised = timeConfigError(() =>
      parseConfig(text, { env: {}, limits: { maxCollections: 40_000 } }),
    );
    expect(raised.error.issues[0]?.code).not.toBe('YAML_TOO_MANY_COLLECTIONS');
  });

  it('aliases within the limit are fine, and maxAliasCount can forbid them', () => {
    const text = `${head}    baseURL: &url http://127.0.0.1:11434/v1\n  other:\n    type: openai-compatible\n    baseURL: *url\nmodels:\n  fast: local:llama3.2\n`;
    const table = parseConfig(text, { env: {} });
    expect(table.gateways['other']?.baseURL).toBe('http://127.0.0.1:11434/v1');
    const { error } = timeConfigError(() =>
      parseConfig(text, { env: {}, limits: { maxAliasCount: 0 } }),
    );
    expect(error.issues.map(where)).toEqual([{ code: 'YAML_ALIAS_LIMIT', line: 8, column: 14 }]);
  });

  it.each([
    ['flow sequences', `version: 1\ngateways: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 2, 75],
    ['flow maps', `${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`, 1, 257],
    ['compact block sequences', `version: 1\ngateways:\n  ${'- '.repeat(20_000)}x\n`, 3, 127],
    ['mixed flow collections', `a: ${'[{a: '.repeat(10_000)}1${'}]'.repeat(10_000)}\n`, 1, 164],
  ])('20,000 levels of nesting in %s', (_name, text, line, column) => {
    // Above the default size limit: raised, so that the nesting scan is what answers.
    const { error, ms } = timeConfigError(() => parseConfig(text, { env: {}, limits: wide }));
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map(where)).toEqual([{ code: 'YAML_TOO_DEEP', line, column }]);
    expect(error.issues[0]?.message).toBe('nesting is deeper than 64 levels; flatten the config');
  });

  it('indentation nested deeper than the limit', () => {
    const lines = Array.from({ length: 1400 }, (_, level) => `${' '.repeat(level)}k:`);
    const text = `${lines.join('\n')} 1\n`;
    expect(text.length).toBeLessThan(wide.maxSize);
    const { error, ms } = timeConfigError(() => parseConfig(text, { env: {}, limits: wide }));
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map(where)).toEqual([{ code: 'YAML_TOO_DEEP', line: 65, column: 65 }]);
  });

  it('nesting within the limit parses; maxDepth lowers the limit', () => {
    const params = `${'{a: '.repeat(20)}1${'}'.repeat(20)}`;
    const text = `${head}    baseURL: http://127.0.0.1:11434/v1\nupstreams:\n  llama: { gateway: local, model: llama3.2, params: { deep: ${params} } }\nmodels:\n  fast: llama\n`;
    expect(parseConfig(text, { env: {} }).upstreams['llama']?.params['deep']).toBeTypeOf('object');
    const { error } = timeConfigError(() =>
      parseConfig(text, { env: {}, limits: { maxDepth: 8 } }),
    );
    expect(error.issues[0]?.code).toBe('YAML_TOO_DEEP');
    expect(error.issues[0]?.message).toContain('deeper than 8 levels');
  });

  it('brackets and quotes inside scalars are not mistaken for nesting', () => {
    const brackets = '['.repeat(100);
    const text = [
      head.trimEnd(),
      '    baseURL: http://127.0.0.1:11434/v1',
      `    headers: { x-a: "${brackets}", x-b: '${brackets}', x-c: "it's \\" ${brackets}" }`,
      `# a comment ${brackets}`,
      'upstreams:',
      `  llama: { gateway: local, model: 'llama''s ${brackets}' }`,
      'models:',
      '  fast: llama',
      '',
    ].join('\n');
    const table = parseConfig(text, { env: {} });
    expect(table.upstreams['llama']?.model).toBe(`llama's ${brackets}`);
  });

  it('%YAML 1.1 with << and yes/no: no merge, no booleans', () => {
    const { error, ms } = timeConfigError(() =>
      parseConfig(readFixture('yaml-1-1.yaml'), { env: {} }),
    );
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map((issue) => issue.code)).toEqual([
      'SCHEMA_UNKNOWN_KEY',
      'SCHEMA_VIOLATION',
    ]);
    expect(error.issues[0]?.message).toContain('unknown key "<<"');
    expect(error.issues[1]?.message).toBe('must be a boolean');
  });

  it('unknown and custom tags', () => {
    const { error, ms } = timeConfigError(() =>
      parseConfig(readFixture('custom-tags.yaml'), { env: {} }),
    );
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map(where)).toEqual([
      { code: 'YAML_UNKNOWN_TAG', line: 5, column: 14 },
      { code: 'YAML_UNKNOWN_TAG', line: 6, column: 13 },
    ]);
    expect(error.issues[0]?.message).toContain('custom tags are not allowed');
  });

  it('core-schema tags are fine; YAML 1.1 types (!!binary, !!timestamp, !!set, !!omap) are not', () => {
    const text = `${head}    baseURL: !!str http://127.0.0.1:11434/v1\nmodels:\n  fast: !!str local:llama3.2\n`;
    expect(parseConfig(text, { env: {} }).aliases['fast']?.targets).toEqual(['local:llama3.2']);
    for (const value of [
      '!!binary aGVsbG8=',
      '!!timestamp 2001-12-14',
      '!!set {a, b}',
      '!!omap [a: 1]',
    ]) {
      const tagged = `${head}    baseURL: http://127.0.0.1:11434/v1\n    headers: { x-a: ${value} }\nmodels:\n  fast: local:x\n`;
      const { error } = timeConfigError(() => parseConfig(tagged, { env: {} }));
      expect(error.issues.map(where)).toEqual([{ code: 'YAML_UNKNOWN_TAG', line: 6, column: 21 }]);
    }
  });

  it('duplicate keys, naming the key', () => {
    const { error, ms } = timeConfigError(() =>
      parseConfig(readFixture('duplicate-keys.yaml'), { env: {} }),
    );
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'duplicate key "baseURL" in this map; keep one of them',
      'duplicate key "fast" in this map; keep one of them',
    ]);
  });

  it('several documents', () => {
    const { error, ms } = timeConfigError(() =>
      parseConfig(readFixture('multiple-documents.yaml'), { env: {} }),
    );
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues.map(where)).toEqual([
      { code: 'YAML_MULTIPLE_DOCUMENTS', line: 6, column: 1 },
    ]);
    // A lone document start marker is fine.
    const single = `---\n${head}    baseURL: http://127.0.0.1:11434/v1\nmodels:\n  fast: local:x\n`;
    expect(parseConfig(single, { env: {} }).aliases['fast']?.targets).toEqual(['local:x']);
  });

  it('an oversized file, before any parsing; the default limit is 1 MiB', () => {
    expect(defaultYamlLimits.maxSize).toBe(1_048_576);
    const padding = `# ${'x'.repeat(1024)}\n`.repeat(1025);
    const text = `${head}${padding}`;
    expect(text.length).toBeGreaterThan(1_048_576);
    const { error, ms } = timeConfigError(() => parseConfig(text, { env: {} }));
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.code).toBe('CONFIG_TOO_LARGE');
    expect(error.issues[0]?.message).toContain('the limit is 1048576');
    expect(error.issues[0]?.message).toContain('--max-size');
    expect(error.message).not.toContain('xxxx'); // no excerpt of a megabyte
  });

  it('maxSize can be raised and lowered', () => {
    const text = `${head}    baseURL: http://127.0.0.1:11434/v1\nmodels:\n  fast: local:x\n`;
    const { error } = timeConfigError(() =>
      parseConfig(text, { env: {}, limits: { maxSize: 50 } }),
    );
    expect(error.issues[0]?.code).toBe('CONFIG_TOO_LARGE');
    const padded = `${text}${`# ${'x'.repeat(1024)}\n`.repeat(1100)}`;
    expect(
      parseConfig(padded, { env: {}, limits: { maxSize: 2 * 1024 * 1024 } }).aliases['fast'],
    ).toBeDefined();
  });

  it('a YAML syntax error', () => {
    const text = `${head}    baseURL: [http://127.0.0.1:11434/v1\nmodels:\n  fast: local:x\n`;
    const { error, ms } = timeConfigError(() => parseConfig(text, { env: {} }));
    expect(ms).toBeLessThan(fastMs);
    expect(error.issues[0]?.code).toBe('YAML_SYNTAX');
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(5);
  });
});

describe('parseYamlSource', () => {
  it('parses YAML 1.2 core: yes/no/on/off stay strings, 0o17 is octal, keys are strings', () => {
    const source = sourceOf('a: yes\nb: off\nc: 0o17\nd: 017\n1: one\n');
    expect(source.document.toJS()).toEqual({ a: 'yes', b: 'off', c: 15, d: 17, '1': 'one' });
  });

  it('rejects a non-string key', () => {
    const parsed = parseYamlSource('? [a, b]\n: 1\n', defaultYamlLimits);
    expect(parsed.ok).toBe(false);
  });

  it('returns the line counter and partial document with the issues, for redaction', () => {
    const parsed = parseYamlSource('a: [1\nb: 2\n', defaultYamlLimits);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.lineCounter?.lineStarts).toEqual([0, 6, 11]);
    expect(parsed.document).toBeDefined();
  });
});

describe('locate', () => {
  const text = [
    'version: 1', // 1
    'gateways:', // 2
    '  edge:', // 3
    '    type: cloudflare', // 4
    '    auth: { keys: stored }', // 5
    'models:', // 6
    '  fast:', // 7
    '    targets: [a, b]', // 8
    '  empty:', // 9
    '  ref: &r { targets: [c] }', // 10
    '  copy: *r', // 11
  ].join('\n');
  const source = sourceOf(text);

  it.each([
    [['gateways', 'edge', 'type'], {}, 4, 11],
    [['gateways', 'edge', 'type'], { key: true }, 4, 5],
    [['gateways', 'edge', 'auth', 'keys'], {}, 5, 19],
    [['models', 'fast', 'targets', 1], {}, 8, 18],
    [['models', 'empty'], {}, 9, 9], // `empty:` has a null value just after the colon
    [['models', 'copy', 'targets', 0], {}, 10, 23], // through the alias *r
    [['models', 'fast', 'nothing', 'here'], {}, 8, 5],
    [[], {}, 1, 1],
  ] as const)('%j %j → %i:%i', (path, options, line, column) => {
    const location = locate(source, path, options);
    expect({ line: location.line, column: location.column }).toEqual({ line, column });
  });
});
