/**
 * Soak test: many calls with mixed faults and aborts through one long-lived router, against the
 * gateway emulator running in a separate process (so its request log does not count against the
 * router's heap). Prints what a leak would show:
 * - heap after full GCs at checkpoints (it must level off),
 * - `abort` listeners on a caller's reused AbortSignal and on the router's signal (they must
 *   return to their baseline),
 * - the health memory's size (bounded by `maxEntries` however many upstreams fail),
 * - whether configs replaced by `router.reload` become collectable,
 * - timers left after `router.close()`; and the process then exits by itself.
 *
 *   npm run soak                          # 100,000 calls
 *   node scripts/soak.ts --calls 5000 --json
 *
 * Options: --calls N (default 100000), --concurrency N (default 16), --seed N, --json (one JSON
 * line with the figures on stdout instead of the report). Exit code 1 when a check fails.
 * Needs `--expose-gc`; re-runs itself with it when started without.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createHealthMemory,
  createRouter,
  isRouterError,
  parseConfig,
  type Router,
  type RouteTable,
} from '../src/index.ts';

const self = fileURLToPath(import.meta.url);

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
    emulator: { type: 'boolean', default: false },
  },
});

/** Emulator mode: started by the soak over IPC; sends its URL, stops when disconnected. */
async function serveEmulator(): Promise<void> {
  const { startEmulator } = await import('../src/emulator/index.ts');
  const emulator = await startEmulator({
    // `down` always fails, so health memory keeps cooling it down and probing it again.
    faults: [{ match: { model: 'down-model' }, fault: { type: 'status', status: 503 } }],
  });
  // The log is only for tests; empty it so the emulator's own memory stays flat.
  const trim = setInterval(() => emulator.clearRequests(), 500);
  process.send?.({ url: emulator.url });
  process.on('disconnect', () => {
    clearInterval(trim);
    void emulator.close();
  });
}

/** The kinds of call the soak mixes, with their weights. */
const mix = [
  ['plain', 30],
  ['stream', 12],
  ['embeddings', 5],
  ['fallback-after-down', 8],
  ['server-error', 6],
  ['rate-limited', 5],
  ['reset', 5],
  ['stream-cut', 5],
  ['stream-abort', 4],
  ['caller-abort', 6],
  ['deadline', 5],
  ['many-upstreams', 9],
] as const;
type Kind = (typeof mix)[number][0];

function configText(url: string, generation: number): string {
  return `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "${url}/v1", apiKey: "\${SOAK_KEY}" }
upstreams:
  primary: { gateway: local, model: primary-model }
  backup: { gateway: local, model: backup-model }
  down: { gateway: local, model: down-model }
  spare: { gateway: local, model: spare-model }
models:
  chat:
    targets: [primary, backup]
    retry: { attempts: 2, initialDelay: 1ms, maxDelay: 5ms }
    timeout: 10s
  guarded:
    targets: [down, spare]
    retry: { attempts: 1 }
  embed: local:embedding-model
  generation-${generation}: primary
defaults:
  gateway: local
  retry: { attempts: 1 }
`;
}

async function soak(): Promise<void> {
  const calls = Number(values.calls);
  const concurrency = Number(values.concurrency);
  let seed = Number(values.seed) >>> 0;
  const random = () => {
    // mulberry32: reproducible mixes.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const totalWeight = mix.reduce((sum, [, weight]) => sum + weight, 0);
  const pick = (): Kind => {
    let roll = random() * totalWeight;
    for (const [kind, weight] of mix) {
      roll -= weight;
      if (roll < 0) return kind;
    }
    return 'plain';
  };

  const emulatorProcess = fork(self, ['--emulator'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    emulatorProcess.once('message', (message) => resolve((message as { url: string }).url));
    emulatorProcess.once('exit', () => reject(new Error('the emulator process exited')));
  });

  const env = { SOAK_KEY: 'sk-soak' };
  const maxHealthEntries = 64;
  const health = createHealthMemory({
    maxEntries: maxHealthEntries,
    cooldownMs: 20,
    maxCooldownMs: 100,
  });
  const routerController = new AbortController();
  const router: Router = createRouter(parseConfig(configText(url, 0), { env }), {
    health,
    signal: routerController.signal,
  });
  // A signal the caller reuses for every call (e.g. its server's shutdown signal).
  const shared = new AbortController().signal;
  const listeners = () => ({
    shared: getEventListeners(shared, 'abort').length,
    router: getEventListeners(routerController.signal, 'abort').length,
  });
  const baseline = listeners();

  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  /** Outcomes that should not happen: counted, the first 20 kept as samples. */
  const unexpected: string[] = [];
  let unexpectedCount = 0;
  const note = (message: string) => {
    unexpectedCount += 1;
    if (unexpected.length < 20) unexpected.push(message);
  };
  const expectCode = (kind: Kind, codes: readonly string[]) => (error: unknown) => {
    const code = isRouterError(error)
      ? error.code
      : error instanceof Error
        ? error.name
        : 'unknown';
    count(`${kind}:${code}`);
    if (!codes.includes(code)) {
      note(`${kind}: ${code}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  // Faulted calls fail on the primary too, so health memory sometimes cools it down and the
  // backup serves: either is right, anything else is not.
  const served = (text: string | null | undefined, index: number) => {
    for (const upstream of ['primary', 'backup']) {
      if (text === `Echo from ${upstream}-model: call ${index}`) return upstream;
    }
    note(`call ${index}: wrong answer ${text}`);
    return 'wrong';
  };
  const messages = (index: number) => [{ role: 'user' as const, content: `call ${index}` }];
  const fault = (value: object) => ({ 'x-emulator-fault': JSON.stringify(value) });

  // Listeners while calls are in flight, sampled: proves the count above is not trivially zero.
  let inFlightListenersMax = 0;
  const one = async (index: number): Promise<void> => {
    const kind = pick();
    if (index % 50 === 0) {
      inFlightListenersMax = Math.max(inFlightListenersMax, listeners().shared);
    }
    const options = { signal: shared };
    switch (kind) {
      case 'plain': {
        const result = await router.chat.completions.create(
          { model: 'chat', messages: messages(index) },
          options,
        );
        count(`plain:${served(result.choices[0]?.message.content, index)}`);
        return;
      }
      case 'stream': {
        const stream = await router.chat.completions.create(
          { model: 'chat', messages: messages(index), stream: true },
          options,
        );
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        count(`stream:${served(text, index)}`);
        return;
      }
      case 'embeddings': {
        const result = await router.embeddings.create(
          { model: 'embed', input: `text ${index}` },
          options,
        );
        if (result.data.length !== 1) note('embeddings: wrong answer');
        count('embeddings:ok');
        return;
      }
      case 'fallback-after-down': {
        const { route } = await router.chat.completions
          .create({ model: 'guarded', messages: messages(index) }, options)
          .withRoute();
        count(`fallback-after-down:${route.attempts[0]?.decision ?? 'none'}`);
        if (route.upstream !== 'spare') note(`guarded served by ${route.upstream}`);
        return;
      }
      case 'server-error':
        return router.chat.completions
          .create(
            { model: 'chat', messages: messages(index) },
            { ...options, headers: fault({ type: 'status', status: 503 }) },
          )
          .then(() => note('server-error: resolved'), expectCode(kind, ['ALL_TARGETS_FAILED']));
      case 'rate-limited':
        return router.chat.completions
          .create(
            { model: 'chat', messages: messages(index) },
            {
              ...options,
              headers: fault({ type: 'status', status: 429, headers: { 'retry-after-ms': '2' } }),
            },
          )
          .then(() => note('rate-limited: resolved'), expectCode(kind, ['ALL_TARGETS_FAILED']));
      case 'reset':
        return router.chat.completions
          .create(
            { model: 'chat', messages: messages(index) },
            { ...options, headers: fault({ type: 'reset' }) },
          )
          .then(() => note('reset: resolved'), expectCode(kind, ['ALL_TARGETS_FAILED']));
      case 'stream-cut': {
        const stream = await router.chat.completions.create(
          { model: 'chat', messages: messages(index), stream: true },
          { ...options, headers: fault({ type: 'stream-cut', afterChunks: 2 }) },
        );
        try {
          for await (const _chunk of stream) {
            // Read until the cut.
          }
          note('stream-cut: ended normally');
        } catch (error) {
          expectCode(kind, ['STREAM_INTERRUPTED'])(error);
        }
        return;
      }
      case 'stream-abort': {
        // The caller walks away mid-stream: abort its own signal after the first chunk.
        const controller = new AbortController();
        const stream = await router.chat.completions.create(
          { model: 'chat', messages: messages(index), stream: true },
          { signal: controller.signal, headers: fault({ type: 'stream-stall', afterChunks: 1 }) },
        );
        try {
          for await (const _chunk of stream) controller.abort();
          count('stream-abort:ended');
        } catch (error) {
          expectCode(kind, ['ABORTED'])(error);
        }
        return;
      }
      case 'caller-abort': {
        const controller = new AbortController();
        const call = router.chat.completions.create(
          { model: 'chat', messages: messages(index) },
          { signal: controller.signal, headers: fault({ type: 'delay', ms: 200 }) },
        );
        setTimeout(() => controller.abort(), 2);
        return call.then(() => note('caller-abort: resolved'), expectCode(kind, ['ABORTED']));
      }
      case 'deadline':
        return (
          router.chat.completions
            .create(
              { model: 'chat', messages: messages(index) },
              { ...options, timeout: 15, headers: fault({ type: 'delay', ms: 200 }) },
            )
            // The primary hands over at its share of the 15 ms; a backup cooling down after
            // earlier hand-overs is skipped, and the call ends then (ALL_TARGETS_FAILED).
            .then(
              () => note('deadline: resolved'),
              expectCode(kind, ['DEADLINE_EXCEEDED', 'ALL_TARGETS_FAILED']),
            )
        );
      case 'many-upstreams':
        // A different failing upstream every time: health memory must stay bounded.
        return router.chat.completions
          .create(
            { model: `local:model-${index}`, messages: messages(index) },
            { ...options, headers: fault({ type: 'status', status: 500 }) },
          )
          .then(() => note('many-upstreams: resolved'), expectCode(kind, ['ALL_TARGETS_FAILED']));
    }
  };

  const checkpoints = 20;
  const perCheckpoint = Math.ceil(calls / checkpoints);
  const heapMB: number[] = [];
  const healthSizes: number[] = [];
  const listenerCounts: { shared: number; router: number }[] = [];
  const replaced: WeakRef<RouteTable>[] = [];
  let generation = 0;
  const gc = globalThis.gc as () => void;
  const fullGc = async () => {
    for (let round = 0; round < 3; round += 1) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  await fullGc();
  const startHeapMB = process.memoryUsage().heapUsed / 2 ** 20;
  const started = performance.now();
  let next = 0;
  for (let checkpoint = 0; checkpoint < checkpoints; checkpoint += 1) {
    const end = Math.min(calls, next + perCheckpoint);
    const worker = async () => {
      while (next < end) {
        const index = next;
        next += 1;
        await one(index).catch((error: unknown) => {
          note(
            `call ${index}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          );
        });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // A reload per checkpoint: the replaced config must become collectable.
    generation += 1;
    replaced.push(new WeakRef(router.config()));
    router.reload(parseConfig(configText(url, generation), { env }));
    // Let aborted requests' sockets and timers settle before measuring.
    await new Promise((resolve) => setTimeout(resolve, 30));
    await fullGc();
    heapMB.push(process.memoryUsage().heapUsed / 2 ** 20);
    healthSizes.push(health.size);
    listenerCounts.push(listeners());
  }
  const elapsedMs = performance.now() - started;

  await router.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await fullGc();
  const timersAfterClose = process
    .getActiveResourcesInfo()
    .filter((name) => name === 'Timeout').length;
  const replacedAlive = replaced.filter((reference) => reference.deref() !== undefined).length;

  // Level-off: the heap's rise over the second half of the run, after the warm-up half.
  const half = Math.floor(checkpoints / 2);
  const midHeap = median(heapMB.slice(half - 2, half + 1));
  const endHeap = median(heapMB.slice(-3));
  const figures = {
    calls,
    concurrency,
    elapsedMs: Math.round(elapsedMs),
    callsPerSecond: Math.round((calls / elapsedMs) * 1000),
    heapMB: {
      start: round(startHeapMB),
      mid: round(midHeap),
      end: round(endHeap),
      max: round(Math.max(...heapMB)),
      secondHalfGrowth: round(endHeap - midHeap),
      checkpoints: heapMB.map(round),
    },
    listeners: {
      baseline,
      end: listenerCounts.at(-1),
      atCheckpoints: maxListeners(listenerCounts),
      sharedWhileInFlight: inFlightListenersMax,
    },
    healthSize: { max: Math.max(...healthSizes), limit: maxHealthEntries },
    replacedConfigs: { total: replaced.length, alive: replacedAlive },
    timersAfterClose,
    outcomes: Object.fromEntries([...outcomes].sort(([a], [b]) => a.localeCompare(b))),
    unexpected: { count: unexpectedCount, samples: unexpected },
  };

  // A leak grows with the number of calls; noise does not. Allow 2 MB, or 5% of the heap.
  const heapLimitMB = Math.max(2, midHeap * 0.05);
  const failures = [
    ...(figures.heapMB.secondHalfGrowth > heapLimitMB
      ? [
          `heap grew ${figures.heapMB.secondHalfGrowth} MB over the second half (limit ${round(heapLimitMB)})`,
        ]
      : []),
    ...(figures.listeners.end?.shared !== baseline.shared ||
    figures.listeners.end?.router !== baseline.router
      ? [`abort listeners did not return to baseline: ${JSON.stringify(figures.listeners)}`]
      : []),
    ...(figures.healthSize.max > maxHealthEntries
      ? [`health memory grew to ${figures.healthSize.max}`]
      : []),
    ...(replacedAlive > 1 ? [`${replacedAlive} replaced configs are still reachable`] : []),
    ...(timersAfterClose > 0 ? [`${timersAfterClose} timers left after close()`] : []),
    ...(unexpectedCount > 0 ? [`${unexpectedCount} unexpected outcomes`] : []),
  ];

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...figures, failures })}\n`);
  } else {
    const lines = [
      `soak: ${calls} calls, concurrency ${concurrency}, ${figures.elapsedMs} ms (${figures.callsPerSecond}/s)`,
      `heap after GC (MB): start ${figures.heapMB.start}, mid ${figures.heapMB.mid}, end ${figures.heapMB.end}, max ${figures.heapMB.max}; second-half growth ${figures.heapMB.secondHalfGrowth}`,
      `  checkpoints: ${figures.heapMB.checkpoints.join(' ')}`,
      `abort listeners: shared signal ${baseline.shared} -> ${figures.listeners.end?.shared} (up to ${inFlightListenersMax} while calls were in flight, ${figures.listeners.atCheckpoints.shared} at checkpoints); router signal ${baseline.router} -> ${figures.listeners.end?.router}`,
      `health memory size: max ${figures.healthSize.max} (limit ${maxHealthEntries})`,
      `replaced configs still reachable: ${replacedAlive} of ${replaced.length}`,
      `timers after close(): ${timersAfterClose}`,
      `outcomes: ${Object.entries(figures.outcomes)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')}`,
      ...unexpected.map((line) => `unexpected: ${line}`),
      failures.length === 0 ? 'soak: ok' : `soak: FAILED\n  ${failures.join('\n  ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  process.exitCode = failures.length === 0 ? 0 : 1;
  stopEmulator(emulatorProcess);
  // Nothing else: with the router closed and the emulator gone, the process exits by itself.
}

function stopEmulator(child: ChildProcess): void {
  child.disconnect();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function maxListeners(counts: readonly { shared: number; router: number }[]) {
  return {
    shared: Math.max(...counts.map((entry) => entry.shared)),
    router: Math.max(...counts.map((entry) => entry.router)),
  };
}

if (values.emulator) {
  await serveEmulator();
} else if (typeof globalThis.gc !== 'function') {
  // Re-run with --expose-gc, passing the arguments through.
  const child = spawn(process.execPath, ['--expose-gc', self, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === null ? 1 : 128);
  });
} else {
  await soak();
}
