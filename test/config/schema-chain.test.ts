import { describe, expect, it } from 'vitest';
import { decodePointer, schemaChain, valueAt } from '../../src/config/schema-chain.ts';

describe('decodePointer', () => {
  it('turns array indexes into numbers and unescapes ~1 and ~0', () => {
    const data = { models: { 'a/b~c': { targets: ['x', 'y'] } } };
    expect(decodePointer('/models/a~1b~0c/targets/1', data)).toEqual([
      'models',
      'a/b~c',
      'targets',
      1,
    ]);
  });

  it('keeps a digit key of an object a string', () => {
    expect(decodePointer('/gateways/0', { gateways: { '0': {} } })).toEqual(['gateways', '0']);
  });

  it('gives the empty pointer as the empty path', () => {
    expect(decodePointer('', {})).toEqual([]);
  });
});

describe('valueAt', () => {
  it('follows own properties only', () => {
    expect(valueAt({ a: [1, 2] }, ['a', 1])).toBe(2);
    expect(valueAt({}, ['constructor'])).toBeUndefined();
    expect(valueAt({ a: 'text' }, ['a', 'length'])).toBeUndefined();
  });
});

describe('schemaChain', () => {
  const config = {
    version: 1,
    gateways: { or: { type: 'openrouter' }, cf: { type: 'cloudflare' } },
    models: {},
  };

  /** The `type` const of the innermost node at `path`: the branch chosen for the value. */
  const branchType = (path: string[]) => {
    const node = schemaChain(path, config).at(-1);
    const properties = node?.['properties'] as Record<string, { const?: unknown }> | undefined;
    return properties?.['type']?.const;
  };

  it('picks the branch of a gateway by its type', () => {
    expect(branchType(['gateways', 'or'])).toBe('openrouter');
    expect(branchType(['gateways', 'cf'])).toBe('cloudflare');
  });

  it('gives no nodes for a key the schema does not know', () => {
    expect(schemaChain(['nonsense'], config)).toEqual([]);
  });
});
