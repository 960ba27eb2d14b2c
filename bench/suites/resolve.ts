/**
 * Alias resolution without I/O, on a 1,000-alias table: the call path's resolver (cached plan
 * lookup, `createPlanResolver` in src/router/resolve-plan.ts), its first, uncached resolution of
 * each alias, and the public `router.resolve()` (which also builds the redacted, printable plan).
 * Timed in batches; reports ns per resolution, p50/p99 over batches.
 */
import { createRouter, parseConfig } from '../../src/index.ts';
import { createPlanResolver } from '../../src/router/resolve-plan.ts';
import { benchEnv, largeConfigLimits, largeConfigYaml } from '../lib/config-fixture.ts';
import { round, summarize } from '../lib/stats.ts';
import { suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const aliasCount = 1000;
const table = parseConfig(largeConfigYaml(aliasCount), {
  env: benchEnv,
  limits: largeConfigLimits,
});
const names = Object.keys(table.aliases);
const batch = 1000;
const samples = args.quick ? 100 : 400;
let sink = 0;

/** ns per call of `resolve` over `samples` batches, after a warm-up of as many. */
function measure(resolve: (name: string) => object) {
  const perOp: number[] = [];
  for (let sample = 0; sample < samples * 2; sample += 1) {
    const start = performance.now();
    for (let index = 0; index < batch; index += 1) {
      const plan = resolve(names[(sample * batch + index) % names.length] as string);
      sink += Object.keys(plan).length;
    }
    const elapsed = performance.now() - start;
    if (sample >= samples) perOp.push((elapsed * 1e6) / batch);
  }
  const summary = summarize(perOp);
  return {
    batches: summary.n,
    batchSize: batch,
    p50Ns: round(summary.p50, 1),
    p99Ns: round(summary.p99, 1),
  };
}

const resolver = createPlanResolver(table);
const hot = measure((name) => resolver.resolve(name));

// First resolution of each alias: a fresh resolver per pass, every alias once.
const coldPerOp: number[] = [];
for (let pass = 0; pass < (args.quick ? 5 : 20); pass += 1) {
  const fresh = createPlanResolver(table);
  const start = performance.now();
  for (const name of names) sink += Object.keys(fresh.resolve(name)).length;
  coldPerOp.push(((performance.now() - start) * 1e6) / names.length);
}
const cold = summarize(coldPerOp.slice(1));

const router = createRouter(table, { health: false });
const publicPlan = measure((name) => router.resolve(name));
await router.close();

writeResult(args.out, {
  aliases: aliasCount,
  hotPath: { what: 'createPlanResolver(table).resolve(alias), cached', ...hot },
  firstResolution: {
    what: 'first resolve of each alias (plan built and cached)',
    passes: cold.n,
    p50Ns: round(cold.p50, 1),
    p99Ns: round(cold.p99, 1),
  },
  publicResolve: { what: 'router.resolve(alias): redacted, printable Plan', ...publicPlan },
  sink: sink > 0,
});
