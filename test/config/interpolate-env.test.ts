import { afterEach, describe, expect, it } from 'vitest';
import { interpolateEnv } from '../../src/config/interpolate-env.ts';
import { defaultYamlLimits, parseYamlSource } from '../../src/config/yaml-source.ts';
import { parseConfig } from '../../src/index.ts';
import { catchConfigError, where } from './helpers.ts';

/** A config with one openai-compatible gateway `local` whose header `x-value` is `value`. */
function headerConfig(value: string): string {
  return [
    'version: 1',
    'gateways:',
    '  local:',
    '    type: openai-compatible',
    '    baseURL: http://127.0.0.1:11434/v1',
    '    headers:',
    `      x-value: ${value}`,
    'models:',
    '  fast: local:llama3.2',
    '',
  ].join('\n');
}

/** The revealed `x-value` header after parsing `headerConfig(value)` with `env`. */
function headerValue(value: string, env: Record<string, string>): string | undefined {
  const header = parseConfig(headerConfig(value), { env }).gateways['local']?.headers['x-value'];
  return typeof header === 'string' ? header : header?.reveal();
}

function documentOf(text: string) {
  const parsed = parseYamlSource(text, defaultYamlLimits);
  if (!parsed.ok) throw new Error('unexpected YAML error');
  return parsed.source.document;
}

describe('${VAR} expansion', () => {
  it('replaces ${VAR} with its value, anywhere in a string', () => {
    expect(headerValue('${TEAM}', { TEAM: 'search' })).toBe('search');
    expect(headerValue('"team-${TEAM}/${REGION}"', { TEAM: 'search', REGION: 'eu' })).toBe(
      'team-search/eu',
    );
  });

  it('uses the default of ${VAR:-default} when VAR is unset or empty, the value otherwise', () => {
    expect(headerValue('${TEAM:-core}', {})).toBe('core');
    expect(headerValue('${TEAM:-core}', { TEAM: '' })).toBe('core');
    expect(headerValue('${TEAM:-core}', { TEAM: 'search' })).toBe('search');
    // A default may hold ':' and '/', as URLs do; an empty default is allowed.
    expect(headerValue('${URL:-http://127.0.0.1:8787/v1}', {})).toBe('http://127.0.0.1:8787/v1');
    expect(headerValue('"a${EMPTY:-}b"', {})).toBe('ab');
  });

  it('keeps an empty value of ${VAR} (set, but empty) as the empty string', () => {
    expect(headerValue('"[${TEAM}]"', { TEAM: '' })).toBe('[]');
  });

  it('writes $${ as a literal ${, and expands nothing after it', () => {
    expect(headerValue('"$${TEAM} is ${TEAM}"', { TEAM: 'search' })).toBe('${TEAM} is search');
    expect(headerValue('"$$${TEAM}"', { TEAM: 'x' })).toBe('$${TEAM}');
  });

  it('leaves $VAR without braces alone', () => {
    expect(headerValue('"$TEAM and $"', { TEAM: 'search' })).toBe('$TEAM and $');
  });

  it('never expands recursively: a value that looks like ${OTHER} stays as it is', () => {
    const value = headerValue('${OUTER}', { OUTER: '${INNER}', INNER: 'leaked' });
    expect(value).toBe('${INNER}');
    // Nor does a default get expanded.
    expect(headerValue('${NOPE:-${INNER}}', { INNER: 'leaked' })).not.toContain('leaked');
  });

  it('cannot change the YAML structure, whatever the value holds', () => {
    const hostile = 'x\nmodels:\n  evil: local:pwned\n- &a *b !!js/function {[}]: # "\'';
    // In a body field the value arrives whole, as one string.
    const table = parseConfig(
      headerConfig('ok').replace(
        '  fast: local:llama3.2',
        '  fast: { targets: [local:llama3.2], params: { note: "${HOSTILE}" } }',
      ),
      { env: { HOSTILE: hostile } },
    );
    expect(Object.keys(table.aliases)).toEqual(['fast']);
    expect(Object.keys(table.gateways)).toEqual(['local']);
    expect(table.aliases['fast']?.params['note']).toBe(hostile);
    // In a header it is one value too, which fetch would refuse (line breaks): a load error.
    const error = catchConfigError(() =>
      parseConfig(headerConfig('${HOSTILE}'), { env: { HOSTILE: hostile } }),
    );
    expect(error.issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['INVALID_VALUE', 'gateways.local.headers.x-value'],
    ]);
  });

  it('expands into string values only: keys stay literal', () => {
    const text =
      'version: 1\ngateways:\n  ${NAME}: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }\nmodels:\n  fast: x:y\n';
    const error = catchConfigError(() => parseConfig(text, { env: { NAME: 'local' } }));
    expect(error.issues[0]?.path).toEqual(['gateways', '${NAME}']);
    expect(error.issues[0]?.message).toContain('invalid name "${NAME}"');
  });

  it('gives strings, not numbers: a number field cannot come from a variable', () => {
    const text = [
      'version: 1',
      'gateways:',
      '  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }',
      'models:',
      '  fast:',
      '    targets: [local:x]',
      '    retry: { attempts: "${ATTEMPTS}" }',
      '',
    ].join('\n');
    const error = catchConfigError(() => parseConfig(text, { env: { ATTEMPTS: '3' } }));
    expect(error.issues.map(where)).toEqual([{ code: 'SCHEMA_VIOLATION', line: 7, column: 24 }]);
    expect(error.issues[0]?.message).toBe('must be an integer');
    // A duration is a string, so a variable works there.
    const timeout = text.replace('retry: { attempts: "${ATTEMPTS}" }', 'timeout: ${TIMEOUT}');
    expect(
      parseConfig(timeout, { env: { TIMEOUT: '20s' } }).aliases['fast']?.timeouts.totalMs,
    ).toBe(20_000);
  });

  it('reads own variables only: names of Object.prototype members are missing', () => {
    const error = catchConfigError(() =>
      parseConfig(headerConfig('"${toString}${constructor}${__proto__}"'), { env: {} }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual([
      'ENV_VAR_MISSING',
      'ENV_VAR_MISSING',
      'ENV_VAR_MISSING',
    ]);
    const inherited = Object.create({ TEAM: 'inherited' }) as Record<string, string>;
    expect(catchConfigError(() => headerValue('${TEAM}', inherited)).issues[0]?.code).toBe(
      'ENV_VAR_MISSING',
    );
  });

  it('defaults to process.env when no env is passed', () => {
    process.env['SWITCHYARD_TEST_TEAM'] = 'from-process-env';
    const header = parseConfig(headerConfig('${SWITCHYARD_TEST_TEAM}')).gateways['local']?.headers[
      'x-value'
    ];
    expect(typeof header === 'string' ? header : header?.reveal()).toBe('from-process-env');
  });

  afterEach(() => {
    delete process.env['SWITCHYARD_TEST_TEAM'];
  });
});

describe('missing and malformed variables', () => {
  it('reports every missing variable together, each with its path, line and column', () => {
    const text = [
      'version: 1', // 1
      'gateways:', // 2
      '  edge:', // 3
      '    type: cloudflare', // 4
      '    accountId: ${ACCOUNT}', // 5
      '    gatewayId: ${GATEWAY:-default}', // 6
      '    auth:', // 7
      '      token: ${TOKEN}', // 8
      '      keys: { openai: "${OPENAI}", groq: "${GROQ}" }', // 9
      'upstreams:', // 10
      '  gpt: { gateway: edge, model: openai/gpt-4o, params: { user: "${USER_ID}" } }', // 11
      'models:', // 12
      '  fast:', // 13
      '    targets: [gpt, "edge:${MODEL}"]', // 14
      '',
    ].join('\n');
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    expect(
      error.issues.map((issue) => ({
        ...where(issue),
        path: issue.path.join('.'),
        name: /variable (\w+)/.exec(issue.message)?.[1],
      })),
    ).toEqual([
      {
        code: 'ENV_VAR_MISSING',
        line: 5,
        column: 16,
        path: 'gateways.edge.accountId',
        name: 'ACCOUNT',
      },
      {
        code: 'ENV_VAR_MISSING',
        line: 8,
        column: 14,
        path: 'gateways.edge.auth.token',
        name: 'TOKEN',
      },
      {
        code: 'ENV_VAR_MISSING',
        line: 9,
        column: 23,
        path: 'gateways.edge.auth.keys.openai',
        name: 'OPENAI',
      },
      {
        code: 'ENV_VAR_MISSING',
        line: 9,
        column: 42,
        path: 'gateways.edge.auth.keys.groq',
        name: 'GROQ',
      },
      {
        code: 'ENV_VAR_MISSING',
        line: 11,
        column: 63,
        path: 'upstreams.gpt.params.user',
        name: 'USER_ID',
      },
      {
        code: 'ENV_VAR_MISSING',
        line: 14,
        column: 20,
        path: 'models.fast.targets.1',
        name: 'MODEL',
      },
    ]);
  });

  it('reports a malformed ${ with how to write it', () => {
    for (const value of ['"${"', '"${}"', '"${1ABC}"', '"${A-B}"', '"${A:default}"', '"${OPEN"']) {
      const error = catchConfigError(() => parseConfig(headerConfig(value), { env: { A: 'a' } }));
      expect(error.issues.map(where)).toEqual([{ code: 'ENV_VAR_SYNTAX', line: 7, column: 16 }]);
      expect(error.issues[0]?.message).toContain('write ${NAME} or ${NAME:-default}');
    }
  });

  it('reports missing and malformed variables next to schema problems in one error', () => {
    const text = headerConfig('"${MISSING} ${"').replace('  fast: local:llama3.2', '  fast: 42');
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    expect(error.issues.map((issue) => issue.code)).toEqual([
      'ENV_VAR_MISSING',
      'ENV_VAR_SYNTAX',
      'SCHEMA_VIOLATION',
    ]);
  });
});

describe('interpolateEnv', () => {
  it('expands in place and lists the values that held a variable, with their text ranges', () => {
    const text = 'a: ${A}\nb: plain\nc: [x, "${C:-c}"]\nd: $${A}\n';
    const document = documentOf(text);
    const result = interpolateEnv(document, { A: 'alpha' });
    expect(result.issues).toEqual([]);
    expect(document.toJS()).toEqual({ a: 'alpha', b: 'plain', c: ['x', 'c'], d: '${A}' });
    expect(result.expanded.map((value) => value.path)).toEqual([['a'], ['c', 1]]);
    expect(result.expanded.map((value) => text.slice(...value.range).trim())).toEqual([
      '${A}',
      '"${C:-c}"',
    ]);
  });

  it('returns issues with offsets and leaves numbers, booleans and keys untouched', () => {
    const text = 'n: 1\nt: true\n${K}: v\nm: ${M}\n';
    const document = documentOf(text);
    const result = interpolateEnv(document, {});
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ code: 'ENV_VAR_MISSING', path: ['m'] });
    expect(text.slice(result.issues[0]?.offset)).toMatch(/^\$\{M\}/);
    expect(document.toJS()).toEqual({ n: 1, t: true, '${K}': 'v', m: '' });
  });

  it('does not read the environment for values without ${', () => {
    const reads: string[] = [];
    const env = new Proxy({} as Record<string, string>, {
      get(_target, name) {
        reads.push(String(name));
        return undefined;
      },
      getOwnPropertyDescriptor(_target, name) {
        reads.push(String(name));
        return undefined;
      },
    });
    interpolateEnv(documentOf('a: plain\nb: $NOT_A_VAR\nc: $${LITERAL}\n'), env);
    expect(reads).toEqual([]);
  });
});
