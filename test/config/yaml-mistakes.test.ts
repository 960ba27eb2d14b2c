/**
 * Indentation slips and misspelt values get messages that say what is wrong, where, and the
 * likely fix, instead of the symptom they cause further on.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue, parseConfig } from '../../src/index.ts';

function issuesOf(text: string): ConfigIssue[] {
  try {
    parseConfig(text, { file: 'config.yaml', env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const head = `version: 1
gateways:
  or: { type: openrouter, apiKey: k }
models:
  fast:
    targets: [or:x]
`;

describe('YAML mistakes', () => {
  it('a de-indented alias key is named as such, not as an unknown target', () => {
    const [issue, ...rest] = issuesOf(`${head}  timeout: 10s\n`);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: ['models', 'timeout'], line: 7, column: 12 });
    expect(issue?.message).toMatch(
      /^"timeout" is a setting of an alias, but here it sits directly under models, .* it is probably indented too little: indent it to the column of the other keys of the alias it belongs to$/,
    );
  });

  it('an over-indented key is reported on its own line, with the key to align with', () => {
    const [issue, ...rest] = issuesOf(`${head}      timeout: 10s\n`);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ code: 'YAML_SYNTAX', line: 7, column: 7 });
    expect(issue?.message).toContain('"timeout:" is not aligned with the keys before it');

    const [nested, ...others] = issuesOf(`version: 1
gateways:
  or:
    type: openrouter
      apiKey: k
models:
  fast: or:x
`);
    expect(others).toEqual([]);
    expect(nested).toMatchObject({ code: 'YAML_SYNTAX', line: 5, column: 7 });
    expect(nested?.message).toBe(
      '"apiKey:" is indented deeper than "type:" on the line before, so YAML reads it as part of that value; indent it to the column of "type:" (or of the map it belongs to)',
    );
  });

  it('a tab says to indent with spaces', () => {
    const [issue] = issuesOf(`${head}\tretry: { attempts: 2 }\n`);
    expect(issue?.message).toBe('Tabs are not allowed as indentation: indent with spaces');
  });

  it('a misspelt enum value gets a did-you-mean', () => {
    const issues = issuesOf(`version: 1
gateways:
  or: { type: open-router, apiKey: k }
models:
  fast: { targets: [or:x], policy: { auth: fallbak } }
`);
    expect(issues.map((issue) => issue.message)).toEqual([
      'must be one of: "cloudflare", "vercel", "openrouter", "openai-compatible" (did you mean "openrouter"?)',
      'must be one of: "retry", "fallback", "fail" (did you mean "fallback"?)',
    ]);
  });
});
