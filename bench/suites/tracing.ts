/**
 * What tracing costs per call. The same plain call through the router at concurrency 1,
 * interleaved in rounds (one call per variant per sweep, random order), with: no `tracing`
 * option; `createOpenTelemetryTracing()` with no tracer provider registered (OpenTelemetry's
 * API hands out a non-recording tracer: the "zero cost" case); and a recording SDK tracer with
 * an in-memory exporter, for scale. Reports p50 per variant and its paired difference from the
 * call without tracing, with a sign-test interval.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createRouter, parseConfig } from '../../src/index.ts';
import { createOpenTelemetryTracing } from '../../src/otel/index.ts';
import {
  interleave,
  pairedMedianDifference,
  type Samples,
  toMicroseconds,
} from '../lib/interleave.ts';
import { median, round, seededRandom } from '../lib/stats.ts';
import { suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const table = parseConfig(
  `version: 1
gateways:
  mock: { type: openai-compatible, baseURL: "${args.mockUrl}/v1", apiKey: sk-bench-0000 }
models:
  one: mock:gpt-4o-mini
`,
  { env: {} },
);
const messages = [{ role: 'user' as const, content: 'Say hello in one sentence.' }];
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const routers = {
  'no tracing option': createRouter(table, { health: false }),
  'OpenTelemetry, no tracer provider registered': createRouter(table, {
    health: false,
    tracing: createOpenTelemetryTracing(),
  }),
  'OpenTelemetry, recording SDK tracer (in-memory exporter)': createRouter(table, {
    health: false,
    tracing: createOpenTelemetryTracing({ tracer: provider.getTracer('bench') }),
  }),
};
const names = Object.keys(routers) as (keyof typeof routers)[];

const settings = args.quick
  ? { rounds: 30, sweepsPerRound: 10, warmupSweeps: 100 }
  : { rounds: 150, sweepsPerRound: 20, warmupSweeps: 300 };
let sinceReset = 0;
const samples = await interleave(
  names.map((name) => ({
    id: name,
    async call() {
      const start = performance.now();
      await routers[name].chat.completions.create({ model: 'one', messages });
      const elapsed = performance.now() - start;
      // Keep the exporter's memory flat; outside the timed part.
      if (++sinceReset >= 1000) {
        exporter.reset();
        sinceReset = 0;
      }
      return elapsed;
    },
  })),
  settings,
  seededRandom(args.seed),
);
const baseline = samples.get('no tracing option') as Samples;
writeResult(args.out, {
  ...settings,
  seed: args.seed,
  variants: names.map((name) => {
    const series = samples.get(name) as Samples;
    return {
      name,
      p50Us: round(median(series.rounds.flat()) * 1000, 1),
      ...(name === 'no tracing option'
        ? {}
        : { addedP50: toMicroseconds(pairedMedianDifference(series, baseline)) }),
      errors: series.errors,
    };
  }),
});
await Promise.all(Object.values(routers).map((router) => router.close()));
await provider.shutdown();
