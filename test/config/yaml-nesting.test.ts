import { describe, expect, it } from 'vitest';
import { findExcessiveNesting } from '../../src/config/yaml-nesting.ts';

describe('findExcessiveNesting', () => {
  it('points at the first flow bracket past the limit', () => {
    expect(findExcessiveNesting('a: [[[1]]]', { maxDepth: 3 })).toBeUndefined();
    expect(findExcessiveNesting('a: [[[[1]]]]', { maxDepth: 3 })).toEqual({
      offset: 6,
      limit: 'depth',
    });
  });

  it('skips brackets inside quotes and comments', () => {
    const text = `a: "[[[[[[" # {{{{{{\nb: '[[[[''[[['\n`;
    expect(findExcessiveNesting(text, { maxDepth: 2 })).toBeUndefined();
  });

  it('counts compact collections on one line with the indentation around them', () => {
    // The line itself is one level (its indentation), each `- ` one more.
    expect(findExcessiveNesting('- - - x', { maxDepth: 4 })).toBeUndefined();
    expect(findExcessiveNesting('- - - - x', { maxDepth: 4 })).toEqual({
      offset: 6,
      limit: 'depth',
    });
  });

  it('counts ever deeper indentation, and forgets levels a line closes', () => {
    const deep = 'a:\n b:\n  c:\n   d: 1\n';
    expect(findExcessiveNesting(deep, { maxDepth: 3 })).toEqual({
      offset: deep.indexOf('d'),
      limit: 'depth',
    });
    const wide = 'a:\n b: 1\nc:\n d: 1\ne:\n f: 1\n';
    expect(findExcessiveNesting(wide, { maxDepth: 2 })).toBeUndefined();
  });

  it('counts the lists and maps opened inline or compactly, and stops past maxCollections', () => {
    const text = 'a: [1]\nb: {c: [2]}\nd:\n  - - 3\n';
    // [ { [ and the compact "- - " (two): five collections.
    expect(findExcessiveNesting(text, { maxDepth: 64, maxCollections: 5 })).toBeUndefined();
    expect(findExcessiveNesting(text, { maxDepth: 64, maxCollections: 4 })).toEqual({
      offset: text.lastIndexOf('-'),
      limit: 'collections',
    });
    // Brackets inside quotes and comments open nothing.
    expect(
      findExcessiveNesting('a: "[[[["\n# [[[[\nb: [1]\n', { maxDepth: 64, maxCollections: 1 }),
    ).toBeUndefined();
  });
});
