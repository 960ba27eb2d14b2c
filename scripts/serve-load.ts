/**
 * Load on `switchyard serve`: rounds of N concurrent streamed requests through the serve
 * handler on `node:http`, to a router whose primary fails in every way the emulator can
 * (503s, resets, streams cut after their first chunks, error events mid-stream) and whose backup
 * is healthy. Every response must be either complete (the expected text, then `[DONE]`) or a
 * clean error (an OpenAI-shaped JSON error, or an SSE error event with no `[DONE]`): never a
 * stream that ends early without saying so, never two models' words in one answer. Between
 * rounds the heap is measured after full GCs; after the first (warm-up) round it must stay flat.
 *
 *   node --expose-gc scripts/serve-load.ts [--streams 1000] [--rounds 4] [--json]
 *
 * Re-runs itself with `--expose-gc` when started without. `npm run serve-load` runs it;
 * `test/serve/load.test.ts` runs it with 1,000 streams.
 */
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/parse-config.ts';
import { type FaultRule, startEmulator } from '../src/emulator/index.ts';
import { createRouter } from '../src/router/create-router.ts';
import { createServeHandler } from '../src/serve/create-handler.ts';
import { startNodeServer } from '../src/serve/node-server.ts';

if (typeof globalThis.gc !== 'function') {
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', ...process.execArgv, process.argv[1] ?? '', ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(result.status ?? 1);
}

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const streams = Number(values.streams);
const rounds = Number(values.rounds);

/** What one response turned out to be. */
type Outcome = 'complete:primary' | 'complete:backup' | 'error:http' | 'error:event' | 'broken';

const prompt = 'one two three';
const expected = {
  primary: `Echo from primary-model: ${prompt}`,
  backup: `Echo from backup-model: ${prompt}`,
};

/** Faults for one round, spread over the primary's requests. */
function roundFaults(count: number): FaultRule[] {
  const share = Math.max(1, Math.floor(count / 8));
  const primary = { model: 'primary-model' };
  return [
    { match: primary, times: share, fault: { type: 'status', status: 503 } },
    { match: primary, times: share, fault: { type: 'reset' } },
    { match: primary, times: share, fault: { type: 'stream-cut', afterChunks: 2 } },
    { match: primary, times: share, fault: { type: 'stream-error', afterChunks: 3 } },
    {
      match: primary,
      times: share,
      fault: { type: 'status', status: 429, headers: { 'retry-after-ms': '1' } },
    },
  ];
}

async function main() {
  const emulator = await startEmulator({ apiKeys: ['sk-load'] });
  const table = parseConfig(
    `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "${emulator.url}/v1", apiKey: sk-load }
upstreams:
  primary: { gateway: local, model: primary-model }
  backup: { gateway: local, model: backup-model }
models:
  fast: { targets: [primary, backup], retry: { attempts: 1 }, timeout: 60s }
`,
    { env: {} },
  );
  // Health memory off: every request tries the faulty primary first, the worst case.
  const router = createRouter(table, { env: {}, health: false });
  const server = await startNodeServer({ handler: createServeHandler({ router }) });
  // The load generator's own connection pool, unbounded, so all N streams are in flight at once.
  // A fresh pool per round: a socket kept from the round before could be closed by the
  // server's keep-alive timeout just as it is reused (a race of keep-alive itself, not serve's).
  let client = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const post = (body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const outgoing = request(
        `${server.url}/v1/chat/completions`,
        { method: 'POST', agent: client, headers: { 'content-type': 'application/json' } },
        (incoming) => {
          let text = '';
          incoming.setEncoding('utf8');
          incoming.on('data', (chunk: string) => {
            text += chunk;
          });
          incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, text }));
          incoming.on('error', (error) =>
            reject(new Error(`response: ${error.message} after ${text.length} chars`)),
          );
        },
      );
      outgoing.on('error', (error) => reject(new Error(`request: ${error.message}`)));
      outgoing.end(body);
    });
  const gc = globalThis.gc as () => void;
  const heapMB = () => {
    for (let index = 0; index < 4; index += 1) gc();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };

  const one = async (): Promise<Outcome> => {
    const { status, text } = await post(
      JSON.stringify({
        model: 'fast',
        stream: true,
        messages: [{ role: 'user', content: prompt }],
      }),
    );
    if (status !== 200) {
      const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
      return typeof body.error?.message === 'string' ? 'error:http' : 'broken';
    }
    const events = text
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => block.slice(6));
    const done = events.at(-1) === '[DONE]';
    let content = '';
    let error = false;
    for (const data of done ? events.slice(0, -1) : events) {
      const event = JSON.parse(data) as {
        error?: unknown;
        choices?: { delta?: { content?: string } }[];
      };
      if (event.error !== undefined) error = true;
      else content += event.choices?.[0]?.delta?.content ?? '';
    }
    if (done && !error) {
      if (content === expected.primary) return 'complete:primary';
      if (content === expected.backup) return 'complete:backup';
      if (samples.length < 5) samples.push(content);
      return 'broken';
    }
    // A failed stream: it must end with an error event and not claim completion.
    if (!done && error && events.at(-1)?.includes('"error"') === true) return 'error:event';
    if (samples.length < 5) samples.push(text.slice(-300));
    return 'broken';
  };

  const outcomes: Record<string, number> = {};
  const heap: number[] = [];
  const roundMs: number[] = [];
  const samples: string[] = [];
  heap.push(heapMB());
  for (let round = 0; round < rounds; round += 1) {
    emulator.clearFaults();
    emulator.clearRequests();
    for (const rule of roundFaults(streams)) emulator.inject(rule);
    client.destroy();
    client = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: streams }, () =>
        one().catch((error: unknown) => {
          if (samples.length < 5) samples.push(String(error));
          return 'broken' as const;
        }),
      ),
    );
    roundMs.push(Math.round(performance.now() - started));
    for (const result of results) outcomes[result] = (outcomes[result] ?? 0) + 1;
    heap.push(heapMB());
  }
  client.destroy();
  const { cutOff } = await server.close({ graceMs: 5_000 });
  await router.close();
  await emulator.close();

  // After the warm-up round: the heap's rise over the remaining rounds.
  const afterWarmUp = heap.slice(2);
  const growthMB = (afterWarmUp.at(-1) ?? 0) - (afterWarmUp[0] ?? 0);
  const figures = {
    streams,
    rounds,
    outcomes,
    broken: outcomes['broken'] ?? 0,
    samples,
    roundMs,
    heapMB: heap.map((value) => Math.round(value * 10) / 10),
    growthAfterWarmUpMB: Math.round(growthMB * 10) / 10,
    cutOffAtClose: cutOff,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } else {
    process.stdout.write(
      `${streams} concurrent streams × ${rounds} rounds through switchyard serve, faults on the primary\n` +
        `  outcomes: ${JSON.stringify(outcomes)}\n` +
        `  round times (ms): ${roundMs.join(', ')}\n` +
        `  heap after GC (MB): ${figures.heapMB.join(', ')}; growth after warm-up ${figures.growthAfterWarmUpMB} MB\n` +
        (samples.length === 0
          ? ''
          : `  broken samples:\n${samples.map((sample) => `    ${JSON.stringify(sample)}`).join('\n')}\n`),
    );
  }
}

await main();
