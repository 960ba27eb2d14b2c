/**
 * Layering, checked on the source: a module imports only from its own layer or the ones below.
 *
 *   internal ← errors ← gateways ← config ← router ← cli, serve, ai-sdk, index
 *
 * The emulator stands apart (it imitates gateways; only the CLI and the emulator's own entry
 * import it). Type-only imports of the compiled table's shape (`config/route-table.ts`, types
 * and nothing else) and of the config as written (`config/config.generated.ts`, generated
 * types) are allowed from any layer: they are the data every layer passes down (a gateway
 * module compiles its own block of the config). The
 * few imports that still point the wrong way are listed below with what they need; the list
 * may only shrink.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'src');

const order = ['internal', 'errors', 'gateways', 'config', 'router', 'top'] as const;
type Layer = (typeof order)[number] | 'emulator';

/** Imports that point up a layer today, each with the reason; fix one and remove its line. */
const knownExceptions: Readonly<Record<string, string>> = {};

function layerOf(file: string): Layer {
  const path = relative(source, file).split('\\').join('/');
  const top = path.split('/')[0] ?? '';
  if (top === 'internal') return 'internal';
  if (path === 'errors.ts' || path === 'secret.ts') return 'errors';
  if (top === 'gateways' || top === 'config' || top === 'router' || top === 'emulator') return top;
  return 'top';
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

type Import = { from: string; to: string; typeOnly: boolean };

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const pattern = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/g;
  for (const match of text.matchAll(pattern)) {
    found.push({
      from: file,
      to: resolve(file, '..', match[3] as string),
      typeOnly: match[2] !== undefined,
    });
  }
  for (const match of text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    found.push({ from: file, to: resolve(file, '..', match[1] as string), typeOnly: false });
  }
  return found;
}

function wrongWay(entry: Import): boolean {
  const from = layerOf(entry.from);
  const to = layerOf(entry.to);
  if (from === 'emulator' || to === 'emulator') {
    // The emulator imports nothing of the library's; only the CLI and index files reach it.
    return from === 'emulator' ? to !== 'emulator' && to !== 'internal' : from !== 'top';
  }
  const target = relative(source, entry.to).split('\\').join('/');
  const shape = target === 'config/route-table.ts' || target === 'config/config.generated.ts';
  if (shape && entry.typeOnly) return false;
  return order.indexOf(to) > order.indexOf(from);
}

const name = (file: string) => relative(source, file).split('\\').join('/');

describe('import direction', () => {
  const imports = sourceFiles(source).flatMap(importsOf);

  it('finds the imports it checks', () => {
    expect(imports.length).toBeGreaterThan(100);
  });

  it('has no import from a higher layer beyond the listed exceptions', () => {
    const found = imports
      .filter(wrongWay)
      .map((entry) => `${name(entry.from)} -> ${name(entry.to)}`);
    expect(found.filter((entry) => !(entry in knownExceptions))).toEqual([]);
    // An exception that no longer occurs is removed from the list.
    expect(Object.keys(knownExceptions).filter((entry) => !found.includes(entry))).toEqual([]);
  });

  it('allows the data shapes only as types: route-table.ts and config.generated.ts have no runtime code', () => {
    for (const file of ['route-table.ts', 'config.generated.ts']) {
      const text = readFileSync(join(source, 'config', file), 'utf8');
      expect(text, file).not.toMatch(/^export (const|function|class|let)/m);
    }
  });

  it('opens every module with a comment saying what it is for (generated files aside)', () => {
    const bare = sourceFiles(source)
      .filter((file) => !file.endsWith('.generated.ts'))
      // An executable's shebang line comes first.
      .filter((file) => !/^(#!.*\n)?\/\*\*/.test(readFileSync(file, 'utf8')))
      .map(name);
    expect(bare).toEqual([]);
  });

  it('keeps every module short enough to read in one sitting (generated files aside)', () => {
    // About 400 lines; a file past this bound holds more than one concept and is split.
    const maxLines = 430;
    const long = sourceFiles(source)
      .filter((file) => !file.endsWith('.generated.ts'))
      .map((file) => ({ file: name(file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter((entry) => entry.lines > maxLines);
    expect(long).toEqual([]);
  });
});
