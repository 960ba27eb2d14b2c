import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isRouterError, parseConfig } from '../../src/index.ts';
import {
  catchConfigError,
  fixtureEnv,
  type ParseFixtureOptions,
  parseFixture,
  readFixture,
  where,
} from './helpers.ts';

type Expected = { code: string; line: number; column: number };

/** `flow-map-env.yaml` with the quotes around `${OPENAI_API_KEY}` removed: a YAML syntax error. */
function unquotedFlowEnv(): string {
  return readFixture('flow-map-env.yaml').replace('"${OPENAI_API_KEY}"', '${OPENAI_API_KEY}');
}

/** Every broken fixture, with each issue it must produce (code and exact position), in order. */
const brokenFixtures: [name: string, expected: Expected[], options?: ParseFixtureOptions][] = [
  [
    'misspelled-key.yaml',
    [
      { code: 'SCHEMA_UNKNOWN_KEY', line: 11, column: 5 },
      { code: 'SCHEMA_UNKNOWN_KEY', line: 12, column: 5 },
    ],
  ],
  [
    'wrong-type.yaml',
    [
      { code: 'SCHEMA_VIOLATION', line: 10, column: 14 },
      { code: 'SCHEMA_VIOLATION', line: 12, column: 17 },
      { code: 'SCHEMA_VIOLATION', line: 13, column: 15 },
    ],
  ],
  ['unknown-gateway.yaml', [{ code: 'UNKNOWN_REFERENCE', line: 7, column: 21 }]],
  [
    'unknown-target.yaml',
    [
      { code: 'UNKNOWN_REFERENCE', line: 11, column: 22 },
      { code: 'UNKNOWN_REFERENCE', line: 11, column: 28 },
    ],
  ],
  ['fallback-cycle.yaml', [{ code: 'FALLBACK_CYCLE', line: 12, column: 15 }]],
  ['self-reference.yaml', [{ code: 'FALLBACK_CYCLE', line: 10, column: 22 }]],
  [
    'duplicate-target.yaml',
    [
      { code: 'DUPLICATE_TARGET', line: 11, column: 28 },
      { code: 'DUPLICATE_TARGET', line: 15, column: 21 },
    ],
  ],
  [
    'missing-env.yaml',
    [
      { code: 'ENV_VAR_MISSING', line: 5, column: 16 },
      { code: 'ENV_VAR_MISSING', line: 8, column: 14 },
      { code: 'ENV_VAR_MISSING', line: 12, column: 13 },
      { code: 'ENV_VAR_MISSING', line: 14, column: 15 },
      { code: 'ENV_VAR_MISSING', line: 14, column: 15 },
    ],
    { env: {} },
  ],
  [
    'malformed-env.yaml',
    [
      { code: 'ENV_VAR_SYNTAX', line: 5, column: 14 },
      { code: 'ENV_VAR_SYNTAX', line: 7, column: 35 },
    ],
  ],
  ['stored-keys-without-token.yaml', [{ code: 'MISSING_CREDENTIAL', line: 8, column: 7 }]],
  ['provider-key-missing.yaml', [{ code: 'MISSING_CREDENTIAL', line: 12, column: 34 }]],
  [
    'option-not-applicable.yaml',
    [
      { code: 'OPTION_NOT_APPLICABLE', line: 11, column: 7 },
      { code: 'OPTION_NOT_APPLICABLE', line: 12, column: 18 },
    ],
  ],
  ['metadata-too-many.yaml', [{ code: 'INVALID_VALUE', line: 21, column: 17 }]],
  [
    'bad-duration.yaml',
    [
      { code: 'SCHEMA_VIOLATION', line: 11, column: 14 },
      { code: 'SCHEMA_VIOLATION', line: 12, column: 28 },
      { code: 'SCHEMA_VIOLATION', line: 12, column: 46 },
      { code: 'SCHEMA_VIOLATION', line: 15, column: 33 },
    ],
  ],
  [
    'duration-out-of-range.yaml',
    [
      { code: 'INVALID_VALUE', line: 10, column: 17 },
      { code: 'INVALID_VALUE', line: 16, column: 28 },
      { code: 'INVALID_VALUE', line: 17, column: 37 },
    ],
  ],
  ['alias-bomb.yaml', [{ code: 'YAML_ALIAS_LIMIT', line: 4, column: 8 }]],
  [
    'yaml-1-1.yaml',
    [
      { code: 'SCHEMA_UNKNOWN_KEY', line: 19, column: 7 },
      { code: 'SCHEMA_VIOLATION', line: 20, column: 15 },
    ],
  ],
  [
    'custom-tags.yaml',
    [
      { code: 'YAML_UNKNOWN_TAG', line: 5, column: 14 },
      { code: 'YAML_UNKNOWN_TAG', line: 6, column: 13 },
    ],
  ],
  [
    'duplicate-keys.yaml',
    [
      { code: 'YAML_DUPLICATE_KEY', line: 6, column: 5 },
      { code: 'YAML_DUPLICATE_KEY', line: 9, column: 3 },
    ],
  ],
  ['multiple-documents.yaml', [{ code: 'YAML_MULTIPLE_DOCUMENTS', line: 6, column: 1 }]],
  ['proto-name.yaml', [{ code: 'SCHEMA_VIOLATION', line: 3, column: 3 }]],
];

describe('parseConfig on the broken fixtures', () => {
  it.each(brokenFixtures)(
    '%s: every issue with its code, line and column',
    (name, expected, options) => {
      const error = catchConfigError(() => parseFixture(name, options));
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.file).toBe(name);
      expect(error.issues.map(where)).toEqual(expected);
      // The message names each issue as file:line:col CODE.
      for (const issue of expected) {
        expect(error.message).toContain(`${name}:${issue.line}:${issue.column} ${issue.code}`);
      }
    },
  );

  it('names the fix: did-you-mean for a misspelt key, with the keys allowed there', () => {
    const error = catchConfigError(() => parseFixture('misspelled-key.yaml'));
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ['models', 'fast', 'fallbakcs'],
      ['models', 'fast', 'retyr'],
    ]);
    expect(error.issues[1]?.message).toBe(
      'unknown key "retyr" (did you mean "retry"?); allowed here: targets, when, hedge, strategy, retry, timeout, policy, options, params, dynamicRoute',
    );
  });

  it('lists the names that exist for an unknown reference, with a did-you-mean', () => {
    const gateway = catchConfigError(() => parseFixture('unknown-gateway.yaml'));
    expect(gateway.issues[0]?.message).toBe(
      'unknown gateway "egde" (did you mean "edge"?); gateways: edge',
    );
    const target = catchConfigError(() => parseFixture('unknown-target.yaml'));
    expect(target.issues.map((issue) => issue.message)).toEqual([
      'unknown target "qewn" (did you mean "qwen"?); a target is an upstream, an alias or <gateway>:<model> (upstreams: llama, qwen)',
      'unknown gateway "remote" in "remote:gpt-4o"; gateways: local',
    ]);
  });

  it('shows the cycle path and the alias it was found in', () => {
    const cycle = catchConfigError(() => parseFixture('fallback-cycle.yaml'));
    expect(cycle.issues[0]?.path).toEqual(['models', 'b', 'targets', 0]);
    expect(cycle.issues[0]?.message).toContain('a → b → a');
    const self = catchConfigError(() => parseFixture('self-reference.yaml'));
    expect(self.issues[0]?.message).toContain('fast → fast');
  });

  it('reports a duplicate whether written twice or brought in by a nested alias', () => {
    const error = catchConfigError(() => parseFixture('duplicate-target.yaml'));
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'upstream "llama" appears more than once in the chain of alias "fast"; a target is tried once, with its retries',
      'upstream "qwen" appears more than once in the chain of alias "spliced"; a target is tried once, with its retries',
    ]);
  });

  it('drops an alias with a duplicate target, so an alias that nests it reports nothing more', () => {
    const text = [
      'version: 1',
      'gateways:',
      '  local: { type: openai-compatible, baseURL: "http://127.0.0.1:11434/v1" }',
      'upstreams:',
      '  llama: { gateway: local, model: llama3.2 }',
      '  qwen: { gateway: local, model: qwen2.5 }',
      'models:',
      '  fast: { targets: [llama, qwen, llama] }',
      '  outer: { targets: [fast, qwen] }',
    ].join('\n');
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    // Had "fast" been kept as [llama, qwen], "outer" would splice a second "qwen" and be reported too.
    expect(error.issues.map((issue) => issue.path)).toEqual([['models', 'fast', 'targets', 2]]);
  });

  it('names the upstream and the provider whose key is missing', () => {
    const error = catchConfigError(() => parseFixture('provider-key-missing.yaml'));
    expect(error.issues[0]?.path).toEqual(['upstreams', 'llama', 'model']);
    expect(error.issues[0]?.message).toContain('upstream "llama"');
    expect(error.issues[0]?.message).toContain('provider "groq"');
    expect(error.issues[0]?.message).toContain('gateway "edge"');
  });

  it('reports every missing variable at once, each by name and path', () => {
    const error = catchConfigError(() => parseFixture('missing-env.yaml', { env: {} }));
    const missing = error.issues.map((issue) => /variable (\w+)/.exec(issue.message)?.[1]);
    expect(missing).toEqual([
      'CLOUDFLARE_ACCOUNT_ID',
      'CLOUDFLARE_AIG_TOKEN',
      'OPENROUTER_API_KEY',
      'TEAM',
      'REGION',
    ]);
    // ${CLOUDFLARE_GATEWAY_ID:-default} has a default, so it is not missing.
    expect(error.message).not.toContain('CLOUDFLARE_GATEWAY_ID is not set');
    expect(error.issues[3]?.path).toEqual(['gateways', 'openrouter', 'headers', 'x-team']);
  });

  it('keeps YAML 1.2 core under a %YAML 1.1 directive: `yes` is a string key, `<<` no merge', () => {
    const error = catchConfigError(() => parseFixture('yaml-1-1.yaml'));
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ['models', 'no', 'retry', '<<'],
      ['models', 'no', 'retry', 'jitter'],
    ]);
    // Without the merge key and with a real boolean, the same file loads, with aliases `yes` and `no`.
    const fixed = readFixture('yaml-1-1.yaml')
      .replace('      <<: *retry\n', '')
      .replace('jitter: yes', 'jitter: true');
    const table = parseConfig(fixed, { env: {} });
    expect(Object.keys(table.aliases)).toEqual(['yes', 'no']);
    expect(table.aliases['yes']?.targets).toEqual(['llama']);
    expect(table.aliases['no']?.retry.jitter).toBe(true);
  });

  it('reports YAML, environment and schema problems together in one pass', () => {
    const text = [
      'version: 1',
      'gateways:',
      '  local:',
      '    type: openai-compatible',
      '    baseURL: ${BASE_URL}',
      '    apiKye: x',
      'models:',
      '  fast: local:llama3.2',
      '  slow: { targets: [local:qwen2.5], timeout: later }',
    ].join('\n');
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    expect(error.issues.map(where)).toEqual([
      { code: 'ENV_VAR_MISSING', line: 5, column: 14 },
      { code: 'SCHEMA_UNKNOWN_KEY', line: 6, column: 5 },
      { code: 'SCHEMA_VIOLATION', line: 9, column: 46 },
    ]);
  });

  it('gives a missing variable no second, derived schema complaint', () => {
    const text =
      'version: 1\ngateways:\n  or: { type: openrouter, apiKey: "${KEY}" }\nmodels:\n  fast: or:x\n';
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    // The empty expansion would fail `minLength`; only the root cause is reported.
    expect(error.issues.map((issue) => issue.code)).toEqual(['ENV_VAR_MISSING']);
  });

  it('suggests quoting ${VAR} inside a flow collection', () => {
    expect(parseFixture('flow-map-env.yaml').aliases['fast']?.targets).toEqual([
      'edge:openai/gpt-4o-mini',
    ]);
    const error = catchConfigError(() => parseConfig(unquotedFlowEnv(), { env: fixtureEnv }));
    expect(error.issues[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 9, column: 24 });
    expect(error.issues[0]?.message).toContain('quote variables: "${VAR}"');
  });

  it('is a RouterError with a stable code, recognised by isRouterError', () => {
    const error = catchConfigError(() => parseFixture('fallback-cycle.yaml'));
    expect(isRouterError(error)).toBe(true);
    expect(error.name).toBe('ConfigError');
    expect(isRouterError(new Error('plain'))).toBe(false);
  });

  it('names the source <config> when no file is given', () => {
    const error = catchConfigError(() => parseConfig('version: 2', { env: {} }));
    expect(error.file).toBe('<config>');
    expect(error.message.startsWith('<config>: ')).toBe(true);
  });

  it('parses the valid fixture into a table', () => {
    const table = parseFixture('valid.yaml');
    expect(Object.keys(table.aliases)).toEqual(['fast', 'smart']);
    expect(table.source).toBe('valid.yaml');
  });

  it('rejects an empty file and a file that is not a map', () => {
    for (const text of ['', '# only a comment\n', '- a\n- b\n', 'just text']) {
      const error = catchConfigError(() => parseConfig(text, { env: {} }));
      expect(error.issues.length).toBeGreaterThan(0);
      expect(error.issues.every((issue) => issue.code === 'SCHEMA_VIOLATION')).toBe(true);
    }
  });
});

describe('full error messages', () => {
  it('misspelt key', () => {
    const error = catchConfigError(() => parseFixture('misspelled-key.yaml'));
    expect(error.message).toMatchInlineSnapshot(`
      "misspelled-key.yaml: 2 problems

      misspelled-key.yaml:11:5 SCHEMA_UNKNOWN_KEY models.fast.fallbakcs: unknown key "fallbakcs"; allowed here: targets, when, hedge, strategy, retry, timeout, policy, options, params, dynamicRoute
        11 |     fallbakcs: [llama]
           |     ^

      misspelled-key.yaml:12:5 SCHEMA_UNKNOWN_KEY models.fast.retyr: unknown key "retyr" (did you mean "retry"?); allowed here: targets, when, hedge, strategy, retry, timeout, policy, options, params, dynamicRoute
        12 |     retyr: { attempts: 3 }
           |     ^"
    `);
  });

  it('fallback cycle', () => {
    const error = catchConfigError(() => parseFixture('fallback-cycle.yaml'));
    expect(error.message).toMatchInlineSnapshot(`
      "fallback-cycle.yaml: 1 problem

      fallback-cycle.yaml:12:15 FALLBACK_CYCLE models.b.targets[0]: fallback cycle: a → b → a; remove one of these targets
        12 |     targets: [a]
           |               ^"
    `);
  });

  it('missing variables', () => {
    const error = catchConfigError(() => parseFixture('missing-env.yaml', { env: {} }));
    expect(error.message).toMatchInlineSnapshot(`
      "missing-env.yaml: 5 problems

      missing-env.yaml:5:16 ENV_VAR_MISSING gateways.edge.accountId: environment variable CLOUDFLARE_ACCOUNT_ID is not set; set it, or write \${CLOUDFLARE_ACCOUNT_ID:-default}
        5 |     accountId: \${CLOUDFLARE_ACCOUNT_ID}
          |                ^

      missing-env.yaml:8:14 ENV_VAR_MISSING gateways.edge.auth.token: environment variable CLOUDFLARE_AIG_TOKEN is not set; set it (in the environment or an env file): a credential takes no default
        8 |       token: \${CLOUDFLARE_AIG_TOKEN}
          |              ^

      missing-env.yaml:12:13 ENV_VAR_MISSING gateways.openrouter.apiKey: environment variable OPENROUTER_API_KEY is not set; set it (in the environment or an env file): a credential takes no default
        12 |     apiKey: \${OPENROUTER_API_KEY}
           |             ^

      missing-env.yaml:14:15 ENV_VAR_MISSING gateways.openrouter.headers.x-team: environment variable TEAM is not set; set it (in the environment or an env file): a credential takes no default
        14 |       x-team: <redacted>
           |               ^

      missing-env.yaml:14:15 ENV_VAR_MISSING gateways.openrouter.headers.x-team: environment variable REGION is not set; set it (in the environment or an env file): a credential takes no default
        14 |       x-team: <redacted>
           |               ^"
    `);
  });

  it('stored keys without a token', () => {
    const error = catchConfigError(() => parseFixture('stored-keys-without-token.yaml'));
    expect(error.message).toMatchInlineSnapshot(`
      "stored-keys-without-token.yaml: 1 problem

      stored-keys-without-token.yaml:8:7 MISSING_CREDENTIAL gateways.edge.auth: keys: stored needs a gateway token: add token: \${CLOUDFLARE_AIG_TOKEN} (stored keys only work on an authenticated gateway)
        8 |       keys: stored
          |       ^"
    `);
  });

  it('unquoted ${VAR} in a flow map', () => {
    const error = catchConfigError(() =>
      parseConfig(unquotedFlowEnv(), { file: 'flow-map-env.yaml', env: fixtureEnv }),
    );
    expect(error.message).toMatchInlineSnapshot(`
      "flow-map-env.yaml: 3 problems

      flow-map-env.yaml:9:24 YAML_SYNTAX Unexpected flow-map-start at node end; inside { } or [ ], quote variables: "\${VAR}"
        9 |       keys: { openai: \${OPENAI_API_KEY} }
          |                        ^

      flow-map-env.yaml:10:1 YAML_SYNTAX Unexpected scalar token in YAML stream: "models"
        10 | models:
           | ^

      flow-map-env.yaml:11:3 YAML_SYNTAX Unexpected scalar token in YAML stream: "fast"
        11 |   fast: edge:openai/gpt-4o-mini
           |   ^"
    `);
  });
});

describe('runtime neutrality', () => {
  it('imports no node: module anywhere on the parseConfig path', () => {
    const root = fileURLToPath(new URL('../../src/config/parse-config.ts', import.meta.url));
    const seen = new Set<string>();
    const pending = [root];
    const nodeImports: string[] = [];
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const specifier = match[1] as string;
        if (specifier.startsWith('node:')) nodeImports.push(`${file}: ${specifier}`);
        else if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      }
    }
    expect(seen.size).toBeGreaterThan(5); // the walk did follow the imports
    expect(nodeImports).toEqual([]);
  });
});
