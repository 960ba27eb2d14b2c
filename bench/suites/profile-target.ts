/**
 * Workloads to profile, in a process of their own (profile.ts starts it). The V8 sampling
 * profiler (the one behind `node --cpu-prof`) runs through `node:inspector` around measured
 * blocks only, so set-up and warm-up stay out; each block's profile goes to `--directory` as
 * `<workload>-<block>.cpuprofile`.
 * - `--workload calls`: the SDK alone, the router with one target and the router with every
 *   feature make plain calls at concurrency 1, in alternating blocks (so drift and JIT state
 *   hit all three alike);
 * - `--workload compile`: compiles a 1,000-alias config.
 * Prints `{ workload: { calls, ms } }` as JSON.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { compileConfig } from '../../src/config/compile-config.ts';
import type { SwitchyardConfig } from '../../src/config/config.generated.ts';
import { benchEnv, largeConfigYaml } from '../lib/config-fixture.ts';
import { buildLadder } from '../lib/ladder.ts';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'calls' },
    blocks: { type: 'string', default: '10' },
    'block-size': { type: 'string', default: '1000' },
    mock: { type: 'string', default: '' },
    directory: { type: 'string', default: '.' },
  },
});
const blocks = Number(values.blocks);
const blockSize = Number(values['block-size']);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
const totals: Record<string, { calls: number; ms: number }> = {};

/** Runs one block under the profiler and writes its profile. */
async function profiled(name: string, block: number, loop: () => Promise<void> | void) {
  await session.post('Profiler.start');
  const start = performance.now();
  await loop();
  const elapsed = performance.now() - start;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(join(values.directory, `${name}-${block}.cpuprofile`), JSON.stringify(profile));
  const total = totals[name] ?? { calls: 0, ms: 0 };
  total.calls += blockSize;
  total.ms += elapsed;
  totals[name] = total;
}

if (values.workload === 'compile') {
  const config = parseYaml(largeConfigYaml(1000)) as SwitchyardConfig;
  for (const gateway of Object.values(config.gateways) as { apiKey?: string }[])
    gateway.apiKey = benchEnv.BENCH_API_KEY;
  for (let index = 0; index < 3; index += 1) compileConfig({ config });
  for (let block = 0; block < blocks; block += 1) {
    await profiled('compile', block, () => {
      for (let index = 0; index < blockSize; index += 1) {
        if (!compileConfig({ config }).ok) throw new Error('invalid config');
      }
    });
  }
} else {
  const { rungs } = await buildLadder({
    mockUrl: values.mock,
    refusedUrl: 'http://127.0.0.1:9',
    only: ['sdk', 'router-one', 'router-full'],
  });
  for (const rung of rungs) for (let index = 0; index < 1000; index += 1) await rung.plain();
  for (let block = 0; block < blocks; block += 1) {
    for (const rung of block % 2 === 0 ? rungs : [...rungs].reverse()) {
      await profiled(rung.id, block, async () => {
        for (let index = 0; index < blockSize; index += 1) await rung.plain();
      });
    }
  }
  for (const rung of rungs) await rung.close?.();
}
process.stdout.write(`${JSON.stringify(totals)}\n`);
