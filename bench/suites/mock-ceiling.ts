/**
 * The mock's own ceiling, and why the bench uses a lean mock: `undici.request` (the cheapest
 * client) at concurrency 64 against the lean mock and against the project's gateway emulator
 * (`startEmulator`, which admits, authenticates and logs every request), plain calls.
 */
import { parseArgs } from 'node:util';
import { importBenchPackage } from '../lib/modules.ts';
import { round, summarize } from '../lib/stats.ts';
import { writeResult } from '../lib/suite.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'mock-ceiling.json' },
    quick: { type: 'boolean', default: false },
    mock: { type: 'string', default: '' },
    emulator: { type: 'string', default: '' },
    refused: { type: 'string' },
    portkey: { type: 'string' },
  },
});
type Undici = {
  request(
    url: string,
    options: { method: string; headers: Record<string, string>; body: string },
  ): Promise<{ statusCode: number; body: { json(): Promise<unknown> } }>;
};
const undici = await importBenchPackage<Undici>('undici');
const durationMs = values.quick ? 1000 : 2500;
const concurrency = 64;
const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in one sentence.' }],
});

async function drive(origin: string) {
  const url = `${origin}/v1/chat/completions`;
  const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000' };
  const latencies: number[] = [];
  let errors = 0;
  const warmEnd = performance.now() + 300;
  const end = warmEnd + durationMs;
  const caller = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      try {
        const response = await undici.request(url, { method: 'POST', headers, body });
        await response.body.json();
        if (response.statusCode !== 200) errors += 1;
        else if (start >= warmEnd && performance.now() <= end)
          latencies.push(performance.now() - start);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  const summary = summarize(latencies);
  return {
    rps: round(latencies.length / (durationMs / 1000), 0),
    p50Ms: round(summary.p50, 2),
    p99Ms: round(summary.p99, 2),
    errors,
  };
}

writeResult(values.out, {
  client: 'undici.request',
  concurrency,
  durationMs,
  lean: await drive(values.mock),
  emulator: await drive(values.emulator),
});
