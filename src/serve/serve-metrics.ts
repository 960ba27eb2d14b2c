/**
 * The metrics `switchyard serve` exposes at `GET /metrics`: requests by route, model and status,
 * requests in flight, upstream attempts by outcome, fallbacks, cool-down skips, and latency
 * histograms (time to the response headers, and each upstream request). Label values are names
 * from the config only (a model that is no alias counts as `(other)`, an upstream that is not
 * declared as `(direct)`), so a client cannot grow the label sets.
 */

import type { RouteTable } from '../config/route-table.ts';
import type { AttemptRecord } from '../errors.ts';
import {
  createMetricsRegistry,
  type MetricDefinition,
  type MetricsRegistry,
} from './prometheus-text.ts';

const latencyBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One finished request, as the metrics see it. */
export type RequestSample = {
  /** The route path (`/v1/chat/completions`), or `(other)` for unknown paths. */
  readonly route: string;
  readonly status: number;
  /** The `model` asked for. */
  readonly model: string | undefined;
  /** Attempts of the call, when one was made. */
  readonly attempts: readonly AttemptRecord[] | undefined;
  /** Time to the response headers, in milliseconds. */
  readonly durationMs: number;
  /** What a plain call cost, in USD (`route.cost`); a stream's is added when it ends ({@link ServeMetrics.cost}). */
  readonly cost?: number | undefined;
};

/** The serve metrics. */
export type ServeMetrics = {
  /** A request's response is ready. */
  record(sample: RequestSample, table: RouteTable | undefined): void;
  /** Adds what a call cost, in USD, to its model's counter (a stream's, when it ends). */
  cost(model: string | undefined, usd: number | undefined, table: RouteTable | undefined): void;
  /** A response started (+1) or its body ended (-1). */
  inFlight(change: 1 | -1): void;
  /** The text format. */
  render(): string;
};

/** The metrics, as `/metrics` lists them. */
const metricDefinitions: readonly MetricDefinition[] = [
  {
    name: 'switchyard_serve_requests_total',
    help: 'Requests answered, by route, model (alias) and status.',
    type: 'counter',
  },
  {
    name: 'switchyard_serve_request_duration_seconds',
    help: 'Time from a request to its response headers (a stream: to its first chunk).',
    type: 'histogram',
    bounds: latencyBounds,
  },
  {
    name: 'switchyard_serve_in_flight',
    help: 'Requests being answered now (a stream counts until its last byte).',
    type: 'gauge',
  },
  {
    name: 'switchyard_serve_upstream_attempts_total',
    help: 'Requests sent to upstreams, by upstream and what happened next (success, retry, fallback, fail).',
    type: 'counter',
  },
  {
    name: 'switchyard_serve_upstream_duration_seconds',
    help: 'Time of each upstream request, from sending to its outcome.',
    type: 'histogram',
    bounds: latencyBounds,
  },
  {
    name: 'switchyard_serve_fallbacks_total',
    help: 'Moves to the next target of a chain, by model (alias).',
    type: 'counter',
  },
  {
    name: 'switchyard_serve_cost_usd_total',
    help: "What served calls cost, in USD, by model (alias): usage at the upstreams' configured price (calls to upstreams without a price add nothing).",
    type: 'counter',
  },
  {
    name: 'switchyard_serve_cooldown_skips_total',
    help: 'Targets skipped because their upstream was cooling down after failures.',
    type: 'counter',
  },
];

/** Creates the metrics of one handler. */
export function createServeMetrics(): ServeMetrics {
  const registry: MetricsRegistry = createMetricsRegistry(metricDefinitions);
  let inFlight = 0;
  registry.set('switchyard_serve_in_flight', 0);
  const cost: ServeMetrics['cost'] = (model, usd, table) => {
    if (usd !== undefined && usd > 0)
      registry.increment(
        'switchyard_serve_cost_usd_total',
        { model: modelLabel(model, table) },
        usd,
      );
  };
  return {
    cost,
    record(sample, table) {
      const model = modelLabel(sample.model, table);
      registry.increment('switchyard_serve_requests_total', {
        route: sample.route,
        model,
        status: String(sample.status),
      });
      cost(sample.model, sample.cost, table);
      registry.observe('switchyard_serve_request_duration_seconds', sample.durationMs / 1000, {
        route: sample.route,
      });
      for (const attempt of sample.attempts ?? []) {
        const upstream = upstreamLabel(attempt.upstream, table);
        // A target the request is too long for is skipped too; only cool-downs count here.
        if (attempt.decision === 'skipped') {
          if (attempt.errorClass !== 'context_length')
            registry.increment('switchyard_serve_cooldown_skips_total', { upstream });
          continue;
        }
        registry.increment('switchyard_serve_upstream_attempts_total', {
          upstream,
          outcome: attempt.decision,
        });
        registry.observe('switchyard_serve_upstream_duration_seconds', attempt.durationMs / 1000, {
          upstream,
        });
        if (attempt.decision === 'fallback') {
          registry.increment('switchyard_serve_fallbacks_total', { model });
        }
      }
    },
    inFlight(change) {
      inFlight += change;
      registry.set('switchyard_serve_in_flight', inFlight);
    },
    render: () => registry.render(),
  };
}

function modelLabel(model: string | undefined, table: RouteTable | undefined): string {
  if (model === undefined) return '';
  return table !== undefined && Object.hasOwn(table.aliases, model) ? model : '(other)';
}

function upstreamLabel(upstream: string, table: RouteTable | undefined): string {
  return table !== undefined && Object.hasOwn(table.upstreams, upstream) ? upstream : '(direct)';
}
