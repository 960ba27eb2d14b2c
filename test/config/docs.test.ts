/**
 * The reference pages cannot fall behind the code: every error code has a row in docs/errors.md,
 * and every key of the schema is described in docs/configuration.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/internal/config-schema.generated.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The string literals of a union type declared in src/errors.ts. */
function unionMembers(typeName: string): string[] {
  const source = read('src/errors.ts');
  const start = source.indexOf(`export type ${typeName} =`);
  expect(start).toBeGreaterThan(-1);
  // The union ends at its last member, `'NAME';` (doc comments in between may hold `;`).
  const body = source.slice(start, source.indexOf("';", start) + 2);
  return [...body.matchAll(/\|\s*'([A-Z_]+)'/g)].map((match) => match[1] as string);
}

describe('docs/errors.md', () => {
  const page = read('docs/errors.md');

  it.each([
    ['RouterErrorCode', '## Error codes'],
    ['ConfigIssueCode', '## Config issue codes'],
  ])('has a row for every %s', (typeName, heading) => {
    const codes = unionMembers(typeName);
    expect(codes.length).toBeGreaterThan(8);
    const section = page.slice(page.indexOf(heading));
    const end = section.indexOf('\n## ', 1);
    const rows = (end === -1 ? section : section.slice(0, end))
      .split('\n')
      .flatMap((line) => /^\|\s*`([A-Z_]+)`\s*\|/.exec(line)?.[1] ?? []);
    expect(rows).toEqual(codes);
  });
});

describe('docs/configuration.md', () => {
  it('describes every key of the schema', () => {
    const page = read('docs/configuration.md');
    const keys = new Set<string>();
    const stack: unknown[] = [configSchema];
    while (stack.length > 0) {
      const node = stack.pop();
      if (typeof node !== 'object' || node === null) continue;
      const properties = (node as Record<string, unknown>)['properties'];
      if (typeof properties === 'object' && properties !== null) {
        for (const key of Object.keys(properties)) keys.add(key);
      }
      stack.push(...Object.values(node));
    }
    const missing = [...keys].filter((key) => !page.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });
});
