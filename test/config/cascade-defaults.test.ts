/**
 * The defaults cascade as pure functions: a `retry:` or `timeout:` block over the values it
 * refines, field by field, with each problem reported at its path.
 */
import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, defaultTimeouts } from '../../src/config/builtin-defaults.ts';
import { cascadeRetry, cascadeTimeouts, durationIn } from '../../src/config/cascade-defaults.ts';

function collect() {
  const issues: { code: string; path: (string | number)[]; message: string }[] = [];
  return {
    issues,
    report: (code: string, path: (string | number)[], message: string) => {
      issues.push({ code, path, message });
    },
  };
}

describe('the defaults cascade', () => {
  it('keeps the base for fields a retry block leaves out', () => {
    const { issues, report } = collect();
    const retry = cascadeRetry({
      base: defaultRetryPolicy,
      input: { attempts: 4, maxDelay: '2s' },
      path: ['models', 'fast', 'retry'],
      report,
    });
    expect(retry).toEqual({ ...defaultRetryPolicy, attempts: 4, maxDelayMs: 2000 });
    expect(Object.isFrozen(retry)).toBe(true);
    expect(issues).toEqual([]);
  });

  it('reports an initial delay longer than the maximum, at initialDelay', () => {
    const { issues, report } = collect();
    cascadeRetry({
      base: defaultRetryPolicy,
      input: { initialDelay: '3s', maxDelay: '1s' },
      path: ['defaults', 'retry'],
      report,
    });
    expect(issues).toEqual([
      {
        code: 'INVALID_VALUE',
        path: ['defaults', 'retry', 'initialDelay'],
        message: 'is longer than maxDelay (1s); lower it or raise maxDelay',
      },
    ]);
  });

  it('reads a bare timeout as the total, and the attempt limit follows it down', () => {
    const { report } = collect();
    const timeouts = cascadeTimeouts({ base: defaultTimeouts, input: '10s', path: [], report });
    expect(timeouts).toEqual({ totalMs: 10_000, attemptMs: 10_000, idleMs: 30_000 });
  });

  it('never lets an attempt limit outlive the total it inherits', () => {
    const { report } = collect();
    const base = { totalMs: 5000, attemptMs: 2000, idleMs: 1000 };
    expect(cascadeTimeouts({ base, input: { attempt: '8s' }, path: [], report }).attemptMs).toBe(
      5000,
    );
  });

  it('bounds durations and says how to write one', () => {
    const { issues, report } = collect();
    expect(durationIn({ value: '2s', path: ['x'], min: 0, max: 5000, report })).toBe(2000);
    expect(durationIn({ value: '6s', path: ['x'], min: 0, max: 5000, report })).toBeUndefined();
    expect(durationIn({ value: 'soon', path: ['y'], min: 0, max: 5000, report })).toBeUndefined();
    expect(issues.map((issue) => issue.message)).toEqual([
      'must be between 0ms and 5s',
      'must be a duration such as 250ms, 20s or 5m',
    ]);
  });
});
