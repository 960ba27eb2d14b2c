/**
 * Editors validate `config.yaml` against the published schema before any `${VAR}` is expanded
 * (yaml-language-server reads the `# yaml-language-server: $schema=…` line). Every YAML config
 * in the repository — files and documentation snippets — must validate cleanly in those terms,
 * `${VAR}` included, while the loader still checks the value after expansion.
 *
 * The rules applied are the language server's: draft-07, the YAML 1.2 core schema, no type
 * coercion, regular expressions with the `u` flag, and keywords it does not know (`x-expected`,
 * `discriminator`) ignored.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../src/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schema = JSON.parse(readFileSync(join(root, 'schema/config.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: true, coerceTypes: false });
const validateAsEditor = ajv.compile(schema);

type YamlText = { name: string; text: string };

function repositoryYamlFiles(): YamlText[] {
  const names = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((name) => name !== '');
  return names.map((name) => ({ name, text: readFileSync(join(root, name), 'utf8') }));
}

function documentationSnippets(): YamlText[] {
  const pages = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((name) => name !== '' && !name.startsWith('bench/'));
  const snippets: YamlText[] = [];
  for (const page of pages) {
    const lines = readFileSync(join(root, page), 'utf8').split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      // Complete configs only: `yaml fragment` blocks are pieces shown on their own.
      if (!/^\s*```ya?ml\s*$/.test(lines[index] ?? '')) continue;
      let end = index + 1;
      while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end += 1;
      snippets.push({ name: `${page}:${index + 2}`, text: lines.slice(index + 1, end).join('\n') });
      index = end;
    }
  }
  return snippets;
}

/** A plausible value for every `${VAR}`: a URL for *_URL variables, a plain token otherwise. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1] ?? '';
    env[name] = /^REDIS.*URL$/.test(name)
      ? 'redis://127.0.0.1:6379'
      : /URL$/.test(name)
        ? 'http://127.0.0.1:8787'
        : `value-${name.toLowerCase()}`;
  }
  return env;
}

/** Whether the loader finds the file's YAML and shape correct (other problems are semantic). */
function loaderAcceptsShape(text: string): boolean {
  try {
    parseConfig(text, { env: envFor(text) });
    return true;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.every((issue) => !/^(YAML_|SCHEMA_|CONFIG_|ENV_)/.test(issue.code));
  }
}

function editorErrors(text: string): string[] {
  const data = parse(text, { version: '1.2', schema: 'core', uniqueKeys: false });
  if (validateAsEditor(data)) return [];
  return (validateAsEditor.errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`,
  );
}

const candidates = [...repositoryYamlFiles(), ...documentationSnippets()];
const checked = candidates.filter((candidate) => loaderAcceptsShape(candidate.text));

describe('the published schema, applied the way an editor does', () => {
  it('covers the example, the valid fixtures and the documentation', () => {
    const names = checked.map((candidate) => candidate.name);
    expect(names).toContain('config.example.yaml');
    expect(names).toContain('test/fixtures/valid.yaml');
    expect(names.some((name) => name.startsWith('README.md:'))).toBe(true);
    expect(names.filter((name) => name.startsWith('docs/')).length).toBeGreaterThanOrEqual(4);
  });

  it.each(checked.map((candidate) => [candidate.name, candidate.text] as const))(
    '%s has no editor errors',
    (_name, text) => {
      expect(editorErrors(text)).toEqual([]);
    },
  );

  it('accepts ${VAR} in every pattern-checked value a config may hold', () => {
    const text = `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: \${CLOUDFLARE_ACCOUNT_ID}
    gatewayId: \${CLOUDFLARE_GATEWAY_ID:-default}
    baseURL: \${EMULATOR_URL}
    auth: { token: "\${TOKEN}", keys: stored }
    options: { byokAlias: "\${BYOK_ALIAS}", cacheTtl: "\${CACHE_TTL:-5m}" }
  local: { type: openai-compatible, baseURL: "\${LOCAL_URL}/v1" }
upstreams:
  a: { gateway: "\${PRIMARY_GATEWAY:-edge}", model: openai/gpt-4o-mini }
models:
  fast: { targets: [a], timeout: { total: "\${TOTAL:-20s}", attempt: "\${ATTEMPT}" } }
defaults: { gateway: "\${DEFAULT_GATEWAY}" }
`;
    expect(editorErrors(text)).toEqual([]);
    // A malformed reference is still flagged in the editor.
    const broken = editorErrors(text.replace('${CLOUDFLARE_ACCOUNT_ID}', '"${not closed"'));
    expect(broken.filter((error) => error.startsWith('/gateways/edge/accountId '))).toEqual([
      expect.stringContaining('must match pattern'),
    ]);
  });

  it('leaves the loader checking the value after expansion', () => {
    const text = `version: 1
gateways:
  edge: { type: cloudflare, accountId: "\${ACCOUNT}", gatewayId: "$\${LITERAL}", auth: { token: t, keys: stored } }
upstreams:
  a: { gateway: edge, model: openai/gpt-4o-mini }
models:
  fast: a
`;
    expect(editorErrors(text)).toEqual([]);
    let caught: unknown;
    try {
      parseConfig(text, { env: { ACCOUNT: 'not an id!' } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((issue) => issue.path.join('.'))).toEqual([
      'gateways.edge.accountId',
      'gateways.edge.gatewayId',
    ]);
  });
});
