/**
 * Every YAML snippet in the README and docs/ is checked: a ```yaml block must be a complete,
 * valid config (compiled with parseConfig) on which `switchyard validate` warns about nothing,
 * unless a comment in the snippet explains the warning (names the alias and says "warn");
 * ```yaml broken must fail with a ConfigError; ```yaml fragment must at least be well-formed
 * YAML (a piece of a config shown on its own). config.example.yaml is held to the same rule.
 * And no page tells users to install the bare `switchyard` package, which is another project.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { findValidateWarnings } from '../../src/cli/validate-warnings.ts';
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

/** The kinds of warning `switchyard validate` prints, and the word a comment names each by. */
const warningKinds = [
  { kind: 'deadline', inMessage: /never reached/, inComment: /deadline/i },
  { kind: 'responses', inMessage: /Responses API/, inComment: /responses/i },
] as const;

/**
 * The warnings `switchyard validate` prints for a config that its comments do not explain, and
 * explanations that no longer hold. A block of comment lines that says "`switchyard validate`
 * warns" explains warnings; each of its items (a line starting with "- " begins one) explains,
 * for every alias it names, the kinds of warning it names ("deadline", "Responses").
 */
function unexplainedWarnings(text: string, file: string): string[] {
  const table = parseConfig(text, { file, env: envFor(text) });
  const blocks: string[][] = [];
  let block: string[] = [];
  for (const line of [...text.split('\n'), '']) {
    const comment = /^\s*#(.*)$/.exec(line)?.[1];
    if (comment !== undefined) block.push(comment);
    else if (block.length > 0) {
      blocks.push(block);
      block = [];
    }
  }
  const items = blocks
    .filter((lines) => /validate`? warns/i.test(lines.join(' ')))
    .flatMap((lines) => {
      const split: string[] = [];
      for (const line of lines) {
        if (/^\s*- /.test(line) || split.length === 0) split.push(line);
        else split[split.length - 1] += ` ${line}`;
      }
      return split;
    });
  const names = (alias: string) => new RegExp(`(?<![\\w-])${alias}(?![\\w-])`);
  const explained = (alias: string, kind: (typeof warningKinds)[number]) =>
    items.some((item) => names(alias).test(item) && kind.inComment.test(item));
  const warnings = findValidateWarnings(table).map((warning) => ({
    ...warning,
    kind: warningKinds.find((kind) => kind.inMessage.test(warning.message)),
  }));
  const unexplained = warnings
    .filter((warning) => warning.kind === undefined || !explained(warning.alias, warning.kind))
    .map((warning) => `alias "${warning.alias}": ${warning.message}`);
  const stale = Object.keys(table.aliases).flatMap((alias) =>
    warningKinds
      .filter((kind) => explained(alias, kind))
      .filter(
        (kind) => !warnings.some((warning) => warning.alias === alias && warning.kind === kind),
      )
      .map(
        (kind) =>
          `alias "${alias}" is said to get a ${kind.kind} warning and does not: update the comment`,
      ),
  );
  return [...unexplained, ...stale];
}

/** Commands that install the bare `switchyard` package (another project), not switchyard-ai. */
const bareInstall =
  /\b(?:npm (?:install|i|add)|pnpm add|yarn add|bun add|bunx|npx)(?:\s+-\S+)*\s+switchyard(?![-\w])/;

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
    expect(unexplainedWarnings(snippet.text, `${snippet.file}:${snippet.line}`)).toEqual([]);
  });

  it('config.example.yaml validates with no warning that a comment does not explain', () => {
    const text = readFileSync(join(root, 'config.example.yaml'), 'utf8');
    expect(unexplainedWarnings(text, 'config.example.yaml')).toEqual([]);
  });
});

describe('installing', () => {
  it.each(files)('%s never installs the bare switchyard package', (file) => {
    const found = readFileSync(join(root, file), 'utf8')
      .split('\n')
      .map((line, index) => ({ line, index }))
      .filter(({ line }) => bareInstall.test(line))
      .map(({ line, index }) => `${file}:${index + 1}: ${line.trim()}`);
    expect(found).toEqual([]);
  });

  it('the check catches each way of installing it, and not switchyard-ai', () => {
    for (const line of [
      'npm install switchyard',
      'npm i -D switchyard',
      'bun add switchyard',
      'pnpm add switchyard',
      'yarn add switchyard',
      'npx switchyard validate',
      'npx -y switchyard emulate',
      'bunx switchyard plan fast',
    ])
      expect(bareInstall.test(line), line).toBe(true);
    for (const line of [
      'npm install switchyard-ai',
      'bun add switchyard-ai',
      'npx switchyard-ai validate',
      'npm install ./switchyard-ai-0.1.0.tgz',
      'its command is `switchyard`',
    ])
      expect(bareInstall.test(line), line).toBe(false);
  });
});
