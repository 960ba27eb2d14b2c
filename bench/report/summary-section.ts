/**
 * The top of docs/benchmarks.md: what a user wants to know first. How much the router adds to
 * a call, side by side with the alternatives, and how to reproduce the figures. The method and
 * the targets follow at the end of the page (the Methodology section).
 */
import { formatNumber } from './charts.ts';
import type { EstimatePlain, EstimateUs } from './overhead-section.ts';

type Added = { addedP50?: EstimateUs };
/** The parts of results.json the summary reads. */
export type SummaryInput = {
  overhead?: {
    rungs: {
      id: string;
      label: string;
      plain: Added & { p50Us: number };
      stream: { ttft: Added };
    }[];
  };
  latency?: {
    rungs: { id: string; label: string; plain: Added; stream: { ttft: Added } }[];
  };
  throughput?: {
    rungs: { id: string; byConcurrency: Record<string, { ratioToSdk?: EstimatePlain }> }[];
  };
  failover?: {
    cases: { id: string; plain: { addedP50Ms: number | null } }[];
  };
  memory?: { idle: { idleTotalMiB: number } };
  size?: { core: { minifiedGzipBytes: number } };
};

const signedUs = (value: EstimateUs | undefined) =>
  value === undefined
    ? 'n/a'
    : `${value.estimateUs >= 0 ? '+' : '−'}${formatNumber(Math.abs(value.estimateUs))} µs`;
const percent = (value: EstimatePlain | undefined) =>
  value === undefined ? 'n/a' : `${(value.estimate * 100).toFixed(1)}%`;
const plusMs = (value: number | null | undefined) =>
  value === undefined || value === null ? 'n/a' : `+${formatNumber(value)} ms`;

/** When the first streamed chunk arrives, compared with the SDK. */
function firstChunk(value: EstimateUs | undefined): string {
  if (value === undefined) return '';
  const amount = `${formatNumber(Math.abs(value.estimateUs))} µs`;
  return value.estimateUs < 0
    ? `The first streamed chunk arrives ${amount} earlier than through the SDK: the router reads the stream itself.`
    : `The first streamed chunk arrives ${amount} later than through the SDK.`;
}

/** The "In short" section and the side-by-side table, as lines of Markdown. */
export function summarySection(results: SummaryInput): string[] {
  const core = (id: string) => results.overhead?.rungs.find((rung) => rung.id === id);
  const ladder = (id: string) => results.latency?.rungs.find((rung) => rung.id === id);
  const throughput = (id: string, concurrency: number) =>
    results.throughput?.rungs.find((rung) => rung.id === id)?.byConcurrency[String(concurrency)]
      ?.ratioToSdk;
  const failover = (id: string) =>
    results.failover?.cases.find((entry) => entry.id === id)?.plain.addedP50Ms;
  const sdk = core('sdk');
  const one = core('router-one');
  const chain = core('router-chain');
  const lines = [
    '## In short',
    '',
    'What Switchyard adds to a call, measured against the `openai` SDK alone, calling the same local server (medians; the [Methodology](#methodology) gives the intervals and how they were measured):',
    '',
  ];
  if (sdk !== undefined && one !== undefined && chain !== undefined)
    lines.push(
      `- **Per call**: ${signedUs(one.plain.addedP50)} with one target and ${signedUs(chain.plain.addedP50)} with a 3-deep fallback chain, on an SDK call of ${formatNumber(sdk.plain.p50Us)} µs to a server that answers at once; a real model takes milliseconds to seconds. ${firstChunk(one.stream.ttft.addedP50)}`,
    );
  const c64 = throughput('router-chain', 64);
  if (c64 !== undefined)
    lines.push(
      `- **Under load**: as many requests per second as the SDK (a 3-deep chain: ${percent(c64)} of the SDK's at 64 concurrent callers, ${percent(throughput('router-chain', 256))} at 256; two identical SDK clients differ by a few percent on the same machine).`,
    );
  const fast = failover('switchyard-503');
  if (fast !== undefined)
    lines.push(
      `- **Fallback when the primary fails fast** (a 503): the answer arrives ${plusMs(fast)} after a direct call to the fallback, with \`policy: { server: fallback }\`. The default policy first retries once after a 250 ms backoff (${plusMs(failover('switchyard-default-503'))}): that wait is configured, not overhead. With the circuit breaker (health memory, on by default), later calls skip the failing upstream during its cool-down.`,
    );
  if (results.memory !== undefined && results.size !== undefined)
    lines.push(
      `- **Memory and size**: ${results.memory.idle.idleTotalMiB.toFixed(2)} MiB of heap for an idle router with 1,000 aliases; ${(results.size.core.minifiedGzipBytes / 1000).toFixed(1)} KB of code, minified and gzipped.`,
    );
  lines.push('');
  if (results.latency !== undefined) {
    const rows: [string, string][] = [
      ['router-one', ''],
      ['router-chain', 'switchyard-503'],
      ['portkey-one', ''],
      ['portkey-chain', 'portkey-503'],
      ['ai-sdk', ''],
      ['ai-fallback', 'ai-fallback-503'],
      ['langchain', ''],
      ['langchain-fallbacks', 'langchain-503'],
    ];
    lines.push(
      '### Side by side with the alternatives',
      '',
      "Every library calls the same local server with the same request, in one interleaved run (concurrency 1 for the times). Time added over the `openai` SDK alone, p50; throughput as a share of the SDK's requests per second at 64 concurrent callers; fallback as the time the answer takes through the fallback after a fast 503, over a direct call. This run makes fewer calls per library than the one behind [Added cost over the SDK](#added-cost-over-the-sdk) below, so Switchyard's own figures here are less precise.",
      '',
      '| Library | added per call | added to the first streamed chunk | throughput at c=64 | fallback after a 503 |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const [id, failoverId] of rows) {
      const rung = ladder(id);
      if (rung === undefined) continue;
      const share = throughput(id, 64);
      lines.push(
        `| ${rung.label} | ${signedUs(rung.plain.addedP50)} | ${signedUs(rung.stream.ttft.addedP50)} | ${share === undefined ? '—' : percent(share)} | ${failoverId === '' ? '—' : plusMs(failover(failoverId))} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '### Reproduce it',
    '',
    'In a clone of the repository (Node ≥ 22.18):',
    '',
    '```sh',
    'npm ci',
    'npm run bench -- --quick   # a short run, a few minutes; written to bench/results/tmp/',
    'npm run bench              # the full run behind this page (15–40 min on 2 cores); rewrites it',
    'npm run bench:guard        # half a minute: fails when the added time per call passes 15 µs',
    '```',
    '',
    'A quiet machine gives tighter intervals; the method is the same.',
    '',
  );
  return lines;
}
