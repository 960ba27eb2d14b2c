import { describe, expect, it } from 'vitest';
import {
  AllTargetsFailedError,
  ConfigError,
  createConfigError,
  formatPath,
  isRouterError,
  RouterError,
  recordAttempts,
} from '../../src/errors.ts';

const source = [
  'version: 1', // 1
  'gateways:', // 2
  '  openrouter:', // 3
  '    type: openrouter', // 4
  '    apiKey: sk-or-v1-secret', // 5
  '\tmodel: x', // 6
].join('\n');

/** Offsets of `needle` in `source`, as a secret range. */
function rangeOf(needle: string): [number, number] {
  const start = source.indexOf(needle);
  return [start, start + needle.length];
}

describe('ConfigError', () => {
  it('renders file:line:col CODE path: message, the line and a caret for each issue', () => {
    const error = new ConfigError({
      file: 'config.yaml',
      source,
      issues: [
        {
          code: 'SCHEMA_UNKNOWN_KEY',
          path: ['gateways', 'openrouter', 'type'],
          message: 'first',
          line: 4,
          column: 11,
        },
        { code: 'SCHEMA_VIOLATION', path: [], message: 'no position' },
      ],
    });
    expect(error.message).toBe(
      [
        'config.yaml: 2 problems',
        '',
        'config.yaml:4:11 SCHEMA_UNKNOWN_KEY gateways.openrouter.type: first',
        '  4 |     type: openrouter',
        '    |           ^',
        '',
        'config.yaml SCHEMA_VIOLATION no position',
      ].join('\n'),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.name).toBe('ConfigError');
    expect(error.file).toBe('config.yaml');
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toBeInstanceOf(Error);
  });

  it('says "1 problem" for one, and names <config> without a file', () => {
    const error = new ConfigError({ issues: [{ code: 'YAML_SYNTAX', path: [], message: 'x' }] });
    expect(error.message).toBe('<config>: 1 problem\n\n<config> YAML_SYNTAX x');
  });

  it('blanks secret ranges and keeps the caret under the same token', () => {
    const error = createConfigError(
      {
        source,
        issues: [
          { code: 'SCHEMA_VIOLATION', path: ['a'], message: 'on the key', line: 5, column: 5 },
          {
            code: 'SCHEMA_VIOLATION',
            path: ['b'],
            message: 'inside the secret',
            line: 5,
            column: 20,
          },
        ],
      },
      { secretRanges: [rangeOf('sk-or-v1-secret')] },
    );
    expect(error.message).not.toContain('sk-or-v1-secret');
    const excerpts = error.message.split('\n').filter((line) => line.startsWith('  '));
    expect(excerpts).toEqual([
      '  5 |     apiKey: <redacted>',
      '    |     ^',
      '  5 |     apiKey: <redacted>',
      '    |             ^', // a caret inside a secret moves to the start of <redacted>
    ]);
  });

  it('moves a caret after a secret by the length difference', () => {
    const line = 'keys: { openai: sk-1, groq: sk-22222222222 }, extra: 1';
    const range = (needle: string): [number, number] => [
      line.indexOf(needle),
      line.indexOf(needle) + needle.length,
    ];
    const error = createConfigError(
      {
        source: line,
        issues: [
          {
            code: 'SCHEMA_UNKNOWN_KEY',
            path: [],
            message: 'x',
            line: 1,
            column: line.indexOf('extra') + 1,
          },
        ],
      },
      { secretRanges: [range('sk-1'), range('sk-22222222222')] },
    );
    const [text, caret] = error.message.split('\n').slice(-2) as [string, string];
    expect(text).toBe('  1 | keys: { openai: <redacted>, groq: <redacted> }, extra: 1');
    expect(caret.indexOf('^')).toBe(text.indexOf('extra'));
  });

  it('blanks values of credential-like keys even without ranges (text yaml could not parse)', () => {
    const text = 'gateways: { x: { apiKey: sk-abc, token: "quoted", bearer-x: raw value } }';
    const error = new ConfigError({
      source: text,
      issues: [{ code: 'YAML_SYNTAX', path: [], message: 'x', line: 1, column: 1 }],
    });
    expect(error.message).not.toMatch(/sk-abc|quoted|raw value/);
    expect(error.message.match(/<redacted>/g)).toHaveLength(3);
  });

  it('shows a ${VAR} template: it holds no secret and helps to find the line', () => {
    const text = '    apiKey: ${OPENROUTER_API_KEY}';
    const error = createConfigError(
      {
        source: text,
        issues: [{ code: 'ENV_VAR_MISSING', path: [], message: 'x', line: 1, column: 13 }],
      },
      { secretRanges: [[12, text.length]] },
    );
    expect(error.message).toContain('apiKey: ${OPENROUTER_API_KEY}');
  });

  it('blanks the union of overlapping secret ranges', () => {
    const text = '    apiKey: sk-live-token: oops';
    const error = createConfigError(
      {
        source: text,
        issues: [{ code: 'YAML_SYNTAX', path: [], message: 'x', line: 1, column: 13 }],
      },
      {
        // yaml's partial document: the whole value, and a "key" inside it named like a credential.
        secretRanges: [
          [12, text.length],
          [text.indexOf('oops'), text.length],
        ],
      },
    );
    expect(error.message).not.toContain('sk-live');
    expect(error.message).toContain('  1 |     apiKey: <redacted>\n');
  });

  it('shortens a long line around the column, keeping the caret aligned', () => {
    const text = `models: { fast: { targets: [${Array.from({ length: 60 }, (_, i) => `u${i}`).join(', ')}, bad] } }`;
    const column = text.indexOf('bad') + 1;
    const error = new ConfigError({
      source: text,
      issues: [{ code: 'UNKNOWN_REFERENCE', path: [], message: 'x', line: 1, column }],
    });
    const [excerpt, caret] = error.message.split('\n').slice(-2) as [string, string];
    expect(excerpt.length).toBeLessThan(180);
    expect(excerpt).toContain('…');
    expect(excerpt.slice(caret.indexOf('^'), caret.indexOf('^') + 3)).toBe('bad');
  });

  it('keeps tabs in the caret padding so the caret lines up', () => {
    const error = new ConfigError({
      source,
      issues: [{ code: 'YAML_SYNTAX', path: [], message: 'tab', line: 6, column: 2 }],
    });
    expect(error.message.split('\n').slice(-2)).toEqual(['  6 | \tmodel: x', '    | \t^']);
  });

  it('ignores a line number past the end of the source', () => {
    const error = new ConfigError({
      source: 'a: 1',
      issues: [{ code: 'YAML_SYNTAX', path: [], message: 'x', line: 9, column: 1 }],
    });
    expect(error.message).toBe('<config>: 1 problem\n\n<config>:9:1 YAML_SYNTAX x');
  });

  it('carries a frozen copy of the issues, the code and the cause', () => {
    const issues = [{ code: 'CONFIG_NOT_FOUND' as const, path: [], message: 'gone' }];
    const cause = new Error('ENOENT');
    const error = new ConfigError({ issues, code: 'CONFIG_NOT_FOUND', cause });
    issues.push({ code: 'CONFIG_NOT_FOUND', path: [], message: 'later' });
    expect(error.issues).toHaveLength(1);
    expect(Object.isFrozen(error.issues)).toBe(true);
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.cause).toBe(cause);
  });
});

describe('formatPath', () => {
  it.each([
    [['models', 'fast', 'targets', 1], 'models.fast.targets[1]'],
    [['gateways', 'edge', 'auth', 'keys', 'workers-ai'], 'gateways.edge.auth.keys.workers-ai'],
    [['models', 'no', 'retry', '<<'], 'models.no.retry["<<"]'],
    [['models', 'a b'], 'models["a b"]'],
    [['models', '${NAME}'], 'models["${NAME}"]'],
    [[0, 'x'], '[0].x'],
    [[], ''],
  ] as const)('%j → %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
  });
});

describe('isRouterError', () => {
  it('recognises Switchyard errors, including those of another copy of the package', () => {
    expect(isRouterError(new RouterError('x', { code: 'UNKNOWN_ALIAS' }))).toBe(true);
    expect(isRouterError(new ConfigError({ issues: [] }))).toBe(true);
    // Another copy has another class, but the same registered symbol.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('switchyard.error'), {
      value: true,
    });
    expect(isRouterError(foreign)).toBe(true);
  });

  it('rejects everything else', () => {
    for (const value of [new Error('x'), { code: 'CONFIG_INVALID' }, null, undefined, 'x', 1]) {
      expect(isRouterError(value)).toBe(false);
    }
  });
});

describe('typed error data', () => {
  const record = {
    upstream: 'a',
    gateway: 'g',
    model: 'm',
    targetIndex: 0,
    attempt: 1,
    status: 500,
    decision: 'fallback',
    waitMs: 0,
    durationMs: 3,
  } as const;

  it('says why every target failed: exhausted by default, policy-stop with its class', () => {
    const options = { model: 'fast', attempts: [record], primaryError: 1, lastError: 2 };
    const exhausted = new AllTargetsFailedError(options);
    expect(exhausted).toMatchObject({ reason: 'exhausted', stoppedOn: undefined });
    expect(exhausted.message).toMatch(/^fast: all targets failed after 1 request\(s\)/);
    const stopped = new AllTargetsFailedError({
      ...options,
      reason: 'policy-stop',
      stoppedOn: 'bad_request',
    });
    expect(stopped).toMatchObject({ reason: 'policy-stop', stoppedOn: 'bad_request' });
    expect(stopped.message).toMatch(
      /^fast: stopped: the policy does not retry bad_request errors or pass them to another target/,
    );
  });

  it('gives an abort error its attempts once, as a typed, enumerable, frozen field', () => {
    const error = new RouterError('fast: the call was aborted', { code: 'ABORTED' });
    expect(error.attempts).toBeUndefined();
    expect(Object.keys(error)).not.toContain('attempts');
    recordAttempts(error, [record]);
    recordAttempts(error, []);
    expect(error.attempts).toEqual([record]);
    expect(Object.isFrozen(error.attempts)).toBe(true);
    expect(Object.keys(error)).toContain('attempts');
  });
});
