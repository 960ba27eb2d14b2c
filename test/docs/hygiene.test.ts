/**
 * The user documentation speaks to users: no internal planning (issue numbers, scenario ids,
 * paths outside the repository), code that imports the package rather than its sources, table
 * cells short enough to read, and links that still work in the published package.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const userFacing = [...pages, 'config.example.yaml', 'schema/config.schema.json'];
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const manifest = JSON.parse(read('package.json')) as { files: string[] };
/** Whether a repository path is in the published package (package.json "files"). */
const shipped = (target: string) =>
  manifest.files.some((pattern) =>
    pattern.includes('*')
      ? new RegExp(`^${pattern.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`).test(target)
      : target === pattern || target.startsWith(`${pattern}/`),
  );

/** Words that belong to the project's planning, not to its users. */
const planningWords: readonly [string, RegExp][] = [
  ['an issue number', /\bissues? #?\d+\b/i],
  ['a scenario id', /\bS\d{2}\b/],
  ['the reliability plan', /reliability plan/i],
  ['a path outside the repository', /shared\/reference|\/work\//],
];

describe('user documentation', () => {
  it.each(userFacing)('%s has no internal planning words', (path) => {
    const found = read(path)
      .split('\n')
      .flatMap((line, index) =>
        planningWords
          .filter(([, pattern]) => pattern.test(line))
          .map(([what]) => `${path}:${index + 1} ${what}: ${line.trim().slice(0, 80)}`),
      );
    expect(found).toEqual([]);
  });

  it.each(pages)('%s imports the package, not its sources', (path) => {
    const found = read(path)
      .split('\n')
      .filter(
        (line) =>
          /\bfrom\s+['"](\.\.?\/)+src\//.test(line) || /import\(['"]\.\.?\/src\//.test(line),
      );
    expect(found).toEqual([]);
  });

  it.each(pages)('%s has no table cell over 300 characters', (path) => {
    const long = read(path)
      .split('\n')
      .flatMap((line, index) =>
        line.startsWith('|')
          ? line
              .slice(1, -1)
              .split(/(?<!\\)\|/)
              .map((cell) => cell.trim())
              .filter((cell) => cell.length > 300 && !/^-+$/.test(cell))
              .map((cell) => `${path}:${index + 1} (${cell.length}): ${cell.slice(0, 60)}`)
          : [],
      );
    expect(long).toEqual([]);
  });

  it.each(pages.filter((path) => path !== 'docs/architecture.md'))(
    '%s cites no test file as evidence',
    (path) => {
      const found = read(path)
        .split('\n')
        .map((line, index) => ({ line, index }))
        .filter(({ line }) => /\btest\/[\w/.-]+\.test\.ts\b/.test(line))
        .map(({ line, index }) => `${path}:${index + 1}: ${line.trim().slice(0, 80)}`);
      expect(found).toEqual([]);
    },
  );

  it.each(pages.filter((path) => path.startsWith('docs/')))(
    '%s links only to files the package ships',
    (path) => {
      const links = [...read(path).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((match) => match[1] as string)
        .filter((target) => !/^[a-z]+:/.test(target))
        .map((target) => join('docs', target).replace(/\\/g, '/'));
      for (const target of links) {
        expect(existsSync(join(root, target)), `${path} → ${target} exists`).toBe(true);
        expect(shipped(target), `${path} → ${target} is in package.json "files"`).toBe(true);
      }
    },
  );

  it('README links only to files the package ships', () => {
    const links = [...read('README.md').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((match) => match[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(5);
    for (const target of links) {
      expect(existsSync(join(root, target)), `${target} exists`).toBe(true);
      expect(shipped(target), `${target} is in package.json "files"`).toBe(true);
    }
  });
});
