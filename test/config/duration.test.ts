import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['0ms', 0],
    ['20s', 20_000],
    ['1.5s', 1500],
    ['0.001s', 1],
    ['1.25m', 75_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2.5h', 9_000_000],
    ['999999999ms', 999_999_999],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes a whole, non-negative number as milliseconds', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration(1.5)).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('rounds sub-millisecond fractions to a whole millisecond', () => {
    expect(parseDuration('1.5ms')).toBe(2);
    expect(parseDuration('0.4ms')).toBe(0);
  });

  it.each([
    '',
    '20',
    '20 s',
    ' 20s',
    '20s ',
    '20S',
    '20sec',
    '5 minutes',
    '1d',
    '-1s',
    '+1s',
    '1,5s',
    '1.s',
    '.5s',
    '1.2345s',
    '1e3ms',
    '0x10ms',
    '1s500ms',
    '1234567890ms',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [20_000, '20s'],
    [60_000, '1m'],
    [61_500, '61.5s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '5400s'],
    [86_400_000, '24h'],
  ])('%i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('formats what parseDuration reads back to the same value', () => {
    for (const ms of [0, 1, 250, 1000, 1500, 20_000, 61_500, 300_000, 3_600_000, 5_400_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
