/**
 * The Prometheus text writer: label values escaped as the format requires (backslash, double
 * quote, line feed), histograms cumulative with `+Inf`, `_sum` and `_count`, and a cap on the
 * series one metric keeps. Format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/serve/prometheus-text.ts';

describe('createMetricsRegistry', () => {
  it('writes counters with escaped label values', () => {
    const registry = createMetricsRegistry([
      { name: 'demo_total', help: 'A counter\nwith two lines.', type: 'counter' },
    ]);
    registry.increment('demo_total', { model: 'a"b\\c\nd' }, 2);
    expect(registry.render()).toBe(
      '# HELP demo_total A counter\\nwith two lines.\n# TYPE demo_total counter\ndemo_total{model="a\\"b\\\\c\\nd"} 2\n',
    );
  });

  it('writes cumulative histogram buckets, +Inf, sum and count', () => {
    const registry = createMetricsRegistry([
      { name: 'latency_seconds', help: 'Latency.', type: 'histogram', bounds: [0.1, 1] },
    ]);
    for (const value of [0.05, 0.5, 0.5, 3]) registry.observe('latency_seconds', value, { u: 'x' });
    expect(registry.render().split('\n').slice(2)).toEqual([
      'latency_seconds_bucket{u="x",le="0.1"} 1',
      'latency_seconds_bucket{u="x",le="1"} 3',
      'latency_seconds_bucket{u="x",le="+Inf"} 4',
      'latency_seconds_sum{u="x"} 4.05',
      'latency_seconds_count{u="x"} 4',
      '',
    ]);
  });

  it('keeps at most 2,000 series a metric; the rest count under other="true"', () => {
    const registry = createMetricsRegistry([
      { name: 'many_total', help: 'Many.', type: 'counter' },
    ]);
    for (let index = 0; index < 2_010; index += 1)
      registry.increment('many_total', { id: String(index) });
    const lines = registry.render().trimEnd().split('\n');
    expect(lines).toHaveLength(2 + 2_001);
    expect(lines.at(-1)).toBe('many_total{other="true"} 10');
  });

  it('refuses a metric that was not declared', () => {
    const registry = createMetricsRegistry([]);
    expect(() => registry.increment('nope_total')).toThrow('metrics: "nope_total" is not declared');
  });
});
