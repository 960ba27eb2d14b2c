/**
 * Did-you-mean stays bounded: the work per suggestion is capped however many candidates there
 * are, so reporting is linear in the number of unknown names.
 */
import { describe, expect, it } from 'vitest';
import {
  createNameIndex,
  didYouMean,
  maxComparisons,
  maxNameLength,
} from '../../src/internal/did-you-mean.ts';

describe('didYouMean', () => {
  it('suggests the closest name within the distance limit', () => {
    expect(didYouMean('fats', ['fast', 'smart', 'cheap'])).toBe('fast');
    expect(didYouMean('SMART', ['fast', 'smart'])).toBe('smart');
    expect(didYouMean('zzzzzz', ['fast', 'smart'])).toBeUndefined();
  });

  it('prefers the smaller distance over the earlier candidate', () => {
    expect(didYouMean('claude-sonet', ['claude-haiku', 'claude-sonnet'])).toBe('claude-sonnet');
  });

  it('gives no suggestion for names longer than the limit', () => {
    const long = 'x'.repeat(maxNameLength + 1);
    expect(didYouMean(long, [long.slice(1)])).toBeUndefined();
  });

  it('compares at most a fixed number of candidates per name, whatever the set size', () => {
    const index = createNameIndex(Array.from({ length: 10_000 }, (_, i) => `alias-${i}`));
    for (let i = 0; i < 2000; i += 1) index.suggest(`unknown-${i}`);
    expect(index.comparisons).toBeLessThanOrEqual(2000 * maxComparisons);
    // The cap does not stop it from finding a name that differs in case only, or a near name
    // of a length few others have.
    expect(index.suggest('ALIAS-9999')).toBe('alias-9999');
    const mixed = createNameIndex([
      ...Array.from({ length: 10_000 }, (_, i) => `a${i}`),
      'claude-sonnet',
    ]);
    expect(mixed.suggest('claude-sonet')).toBe('claude-sonnet');
  });

  it('skips candidates whose length alone rules them out', () => {
    const index = createNameIndex(['a'.repeat(40), 'b'.repeat(41), 'fast']);
    expect(index.suggest('fsat')).toBe('fast');
    expect(index.comparisons).toBe(1);
  });
});
