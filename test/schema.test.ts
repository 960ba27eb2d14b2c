/**
 * The JSON Schema's own rules: help text on every property (editors show it), no unknown keys
 * anywhere, and every string, list and map bounded (the validator runs with allErrors on
 * untrusted input, which is only safe when everything is bounded).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

type Node = Record<string, unknown>;
const schema = JSON.parse(
  readFileSync(fileURLToPath(new URL('../schema/config.schema.json', import.meta.url)), 'utf8'),
) as Node;

function resolve(node: Node): Node {
  let current = node;
  for (
    let hops = 0;
    hops < 8 && typeof current['$ref'] === 'string' && current['description'] === undefined;
    hops += 1
  ) {
    let target: unknown = schema;
    for (const segment of (current['$ref'] as string).slice(2).split('/'))
      target = (target as Node)[segment];
    current = target as Node;
  }
  return current;
}

/** Every schema node with its JSON pointer. */
function nodes(node: unknown, path = '#'): [string, Node][] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, index) => nodes(item, `${path}/${index}`));
  const entries: [string, Node][] = [[path, node as Node]];
  for (const [key, value] of Object.entries(node)) entries.push(...nodes(value, `${path}/${key}`));
  return entries;
}

const all = nodes(schema).filter(([path]) => !/\/(enum|required|const|examples)(\/|$)/.test(path));

describe('config schema', () => {
  it('gives every property a description (directly or through its $ref)', () => {
    const missing = all.flatMap(([path, node]) =>
      Object.entries((node['properties'] as Record<string, Node> | undefined) ?? {})
        .filter(
          ([, property]) =>
            property['description'] === undefined && resolve(property)['description'] === undefined,
        )
        .map(([name]) => `${path}/properties/${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('rejects unknown keys in every object with named properties', () => {
    const open = all.filter(
      ([path, node]) =>
        node['properties'] !== undefined &&
        node['additionalProperties'] !== false &&
        !path.endsWith('/definitions/gateway'),
    );
    expect(open.map(([path]) => path)).toEqual([]);
  });

  it('bounds every string, list and map', () => {
    const unbounded = all.flatMap(([path, node]) => {
      const problems: string[] = [];
      const type = node['type'];
      const types = Array.isArray(type) ? type : [type];
      if (
        types.includes('string') &&
        node['maxLength'] === undefined &&
        node['enum'] === undefined &&
        node['const'] === undefined
      )
        problems.push(`${path}: string without maxLength`);
      if (types.includes('array') && node['maxItems'] === undefined)
        problems.push(`${path}: array without maxItems`);
      if (
        types.includes('object') &&
        node['properties'] === undefined &&
        node['maxProperties'] === undefined
      )
        problems.push(`${path}: map without maxProperties`);
      return problems;
    });
    expect(unbounded).toEqual([]);
  });

  it('uses no $data and no pattern without a length bound', () => {
    expect(JSON.stringify(schema)).not.toContain('"$data"');
    const risky = all
      .filter(([, node]) => typeof node['pattern'] === 'string' && node['maxLength'] === undefined)
      .map(([path]) => path);
    expect(risky).toEqual([]);
  });
});
