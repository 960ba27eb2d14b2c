/**
 * A small Prometheus metrics registry written out in the text exposition format (version
 * 0.0.4): counters, gauges and histograms with labels. Our own rather than `prom-client`, which
 * is Node-only (it reads `process` and `node:` modules at import), while the serve handler also
 * runs as a Cloudflare Worker. Format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */

/** The `Content-Type` of the text format. */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

/** Label names and values of one series. */
export type Labels = Readonly<Record<string, string>>;

type Series = { labels: Labels; value: number; buckets?: number[]; sum?: number };

type Metric = {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Upper bounds of a histogram's buckets, ascending (`+Inf` is added). */
  readonly bounds?: readonly number[];
  readonly series: Map<string, Series>;
};

/** Most series one metric keeps; past it, new label sets are counted under `other="true"`. */
const maxSeries = 2_000;

/** A registry of metrics. */
export type MetricsRegistry = {
  /** Adds `amount` (default 1) to a counter. */
  increment(name: string, labels?: Labels, amount?: number): void;
  /** Sets a gauge. */
  set(name: string, value: number, labels?: Labels): void;
  /** Records one observation in a histogram. */
  observe(name: string, value: number, labels?: Labels): void;
  /** Every metric in the text format. */
  render(): string;
};

/** One metric to declare. */
export type MetricDefinition = {
  readonly name: string;
  readonly help: string;
  readonly type: Metric['type'];
  /** Histograms: bucket upper bounds, ascending. */
  readonly bounds?: readonly number[];
};

/** Creates a registry with the metrics declared; using an undeclared name throws. */
export function createMetricsRegistry(definitions: readonly MetricDefinition[]): MetricsRegistry {
  const metrics = new Map<string, Metric>();
  for (const definition of definitions) {
    metrics.set(definition.name, { ...definition, series: new Map() });
  }
  const seriesOf = (name: string, labels: Labels): Series => {
    const metric = metrics.get(name);
    if (metric === undefined) throw new Error(`metrics: "${name}" is not declared`);
    let key = labelText(labels);
    let series = metric.series.get(key);
    if (series === undefined) {
      if (metric.series.size >= maxSeries) {
        key = labelText({ other: 'true' });
        labels = { other: 'true' };
        series = metric.series.get(key);
      }
      if (series === undefined) {
        series = {
          labels,
          value: 0,
          ...(metric.bounds === undefined ? {} : { buckets: metric.bounds.map(() => 0), sum: 0 }),
        };
        metric.series.set(key, series);
      }
    }
    return series;
  };
  return {
    increment(name, labels = {}, amount = 1) {
      seriesOf(name, labels).value += amount;
    },
    set(name, value, labels = {}) {
      seriesOf(name, labels).value = value;
    },
    observe(name, value, labels = {}) {
      const series = seriesOf(name, labels);
      const bounds = metrics.get(name)?.bounds ?? [];
      series.value += 1;
      series.sum = (series.sum ?? 0) + value;
      bounds.forEach((bound, index) => {
        if (value <= bound && series.buckets !== undefined) {
          series.buckets[index] = (series.buckets[index] ?? 0) + 1;
        }
      });
    },
    render: () => [...metrics.values()].map(renderMetric).join(''),
  };
}

function renderMetric(metric: Metric): string {
  let text = `# HELP ${metric.name} ${escapeHelp(metric.help)}\n# TYPE ${metric.name} ${metric.type}\n`;
  for (const [key, series] of metric.series) {
    if (metric.bounds === undefined) {
      text += `${metric.name}${key} ${formatNumber(series.value)}\n`;
      continue;
    }
    metric.bounds.forEach((bound, index) => {
      const labels = labelText({ ...series.labels, le: formatNumber(bound) });
      text += `${metric.name}_bucket${labels} ${series.buckets?.[index] ?? 0}\n`;
    });
    text += `${metric.name}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.value}\n`;
    text += `${metric.name}_sum${key} ${formatNumber(series.sum ?? 0)}\n`;
    text += `${metric.name}_count${key} ${series.value}\n`;
  }
  return text;
}

/** `{a="1",b="2"}`, or '' without labels; values escaped as the format requires. */
function labelText(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabelValue(labels[name] ?? '')}"`).join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
