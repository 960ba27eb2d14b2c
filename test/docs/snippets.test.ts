/**
 * Every YAML snippet in the README and docs/ is checked: a ```yaml block must be a complete,
 * valid config (compiled with parseConfig); ```yaml broken must fail with a ConfigError;
 * ```yaml fragment must at least be well-formed YAML (a piece of a config shown on its own).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ConfigError, parseConfig } from '../../src/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const files = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

type Snippet = { file: string; line: number; kind: 'config' | 'broken' | 'fragment'; text: string };

function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^\s*```ya?ml(?:\s+(broken|fragment))?\s*$/.exec(lines[index] ?? '');
    if (open === null) continue;
    const start = index + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end] ?? '')) end += 1;
    const kind = open[1] === 'broken' ? 'broken' : open[1] === 'fragment' ? 'fragment' : 'config';
    snippets.push({ file, line: start, kind, text: lines.slice(start, end).join('\n') });
    index = end;
  }
  return snippets;
}

/** A value for every `${VAR}` in a snippet: URLs for *_URL variables, a plain token otherwise. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = match[1] ?? '';
    env[name] = /^REDIS.*URL$/.test(name)
      ? 'redis://127.0.0.1:6379'
      : /URL$/.test(name)
        ? 'https://gateway.example.test'
        : `value-of-${name.toLowerCase().replace(/_/g, '-')}`;
  }
  return env;
}

const snippets = files.flatMap(snippetsOf);

describe('documentation snippets', () => {
  it('there are snippets to check', () => {
    expect(snippets.filter((snippet) => snippet.kind === 'config').length).toBeGreaterThanOrEqual(
      4,
    );
  });

  it.each(
    snippets.map(
      (snippet) => [`${snippet.file}:${snippet.line} (${snippet.kind})`, snippet] as const,
    ),
  )('%s', (_name, snippet) => {
    if (snippet.kind === 'fragment') {
      const document = parseDocument(snippet.text);
      expect(document.errors.map((error) => error.message)).toEqual([]);
      return;
    }
    const parse = () =>
      parseConfig(snippet.text, {
        file: `${snippet.file}:${snippet.line}`,
        env: envFor(snippet.text),
      });
    if (snippet.kind === 'broken') {
      expect(parse).toThrow(ConfigError);
      return;
    }
    expect(() => parse()).not.toThrow();
  });
});
