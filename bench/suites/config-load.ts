/**
 * Config load at 100, 1,000 and 3,000 aliases (3-target chains, 10 gateways): the whole
 * `loadConfig` (read + parse + validate + compile) and `parseConfig`, against a bare
 * `yaml.parse` of the same text, with the stages timed one by one: the YAML layer
 * (`parseYamlSource`: nesting pre-scan + `parseDocument` with a LineCounter), `${VAR}`
 * interpolation, `toJS`, schema validation (precompiled ajv standalone validator) and the
 * compile step. The first load in this fresh process is reported as cold. Run with --expose-gc:
 * every timed run starts after a full GC.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileConfig } from '../../src/config/compile-config.ts';
import type { SwitchyardConfig } from '../../src/config/config.generated.ts';
import { interpolateEnv } from '../../src/config/interpolate-env.ts';
import { validateConfig } from '../../src/config/validate-config.ts';
import { defaultYamlLimits, parseYamlSource } from '../../src/config/yaml-source.ts';
import { loadConfig, parseConfig } from '../../src/index.ts';
import { benchEnv, largeConfigLimits, largeConfigYaml } from '../lib/config-fixture.ts';
import { median, round } from '../lib/stats.ts';
import { suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
/** The YAML layer's limits with the size limit raised, as loadConfig gets them below. */
const yamlLimits = { ...defaultYamlLimits, ...largeConfigLimits };
const directory = mkdtempSync(join(tmpdir(), 'switchyard-bench-config-'));
/** Alias counts and timed runs per figure (the largest file takes seconds per run). */
const sizes: [number, number][] = args.quick
  ? [
      [100, 3],
      [1000, 3],
    ]
  : [
      [100, 9],
      [1000, 15],
      [3000, 5],
    ];
let runs = 0;
/** Untimed loads of each file before its timed runs. */
const warmupLoads = args.quick ? 1 : 5;

/** A full GC before each timed run, so no stage pays for the garbage of the one before it. */
const collect = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const timeOnce = (work: () => unknown) => {
  collect();
  const start = performance.now();
  work();
  return performance.now() - start;
};
const timeMedian = (work: () => unknown) => {
  const times: number[] = [];
  for (let index = 0; index < runs; index += 1) times.push(timeOnce(work));
  return round(median(times), 2);
};

// Cold: the very first load in this process (module code not yet optimised), 1,000 aliases.
const coldText = largeConfigYaml(1000);
const coldFile = join(directory, 'cold.yaml');
writeFileSync(coldFile, coldText);
const coldLoadMs = round(
  timeOnce(() => loadConfig(coldFile, { env: benchEnv, limits: largeConfigLimits })),
  2,
);
const coldYamlParseMs = round(
  timeOnce(() => parseYaml(coldText)),
  2,
);

const results = sizes.map(([aliases, timedRuns]) => {
  runs = timedRuns;
  const text = largeConfigYaml(aliases);
  const file = join(directory, `config-${aliases}.yaml`);
  writeFileSync(file, text);
  // Warm every path before timing, enough for V8 to optimize it: with one warm-up load the
  // compile stage of 1,000 aliases read 11 ms in one run and 20 ms in the next (its first timed
  // runs still in V8's baseline tiers, the optimizing compiler busy beside them on 2 cores).
  for (let index = 0; index < warmupLoads; index += 1) {
    loadConfig(file, { env: benchEnv, limits: largeConfigLimits });
    parseYaml(text);
  }

  const source = (() => {
    const parsed = parseYamlSource(text, yamlLimits);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.source;
  })();
  const data = source.document.toJS({ maxAliasCount: defaultYamlLimits.maxAliasCount }) as unknown;

  const yamlParseMs = timeMedian(() => parseYaml(text));
  const loadMs = timeMedian(() => loadConfig(file, { env: benchEnv, limits: largeConfigLimits }));
  const parseConfigMs = timeMedian(() =>
    parseConfig(text, { env: benchEnv, limits: largeConfigLimits }),
  );
  const stages = {
    yamlSourceMs: timeMedian(() => parseYamlSource(text, yamlLimits)),
    interpolateEnvMs: timeMedian(() => interpolateEnv(source.document, benchEnv)),
    toJsMs: timeMedian(() =>
      source.document.toJS({ maxAliasCount: defaultYamlLimits.maxAliasCount }),
    ),
    validateMs: timeMedian(() => {
      if (validateConfig(data).length > 0) throw new Error('invalid');
    }),
    compileMs: timeMedian(() => {
      if (!compileConfig({ config: data as SwitchyardConfig }).ok) throw new Error('invalid');
    }),
  };
  const staged =
    stages.yamlSourceMs +
    stages.interpolateEnvMs +
    stages.toJsMs +
    stages.validateMs +
    stages.compileMs;
  return {
    aliases,
    bytes: Buffer.byteLength(text),
    yamlParseMs,
    loadMs,
    parseConfigMs,
    loadOverYamlParse: round(loadMs / yamlParseMs, 2),
    validatePlusCompileMs: round(stages.validateMs + stages.compileMs, 2),
    stages,
    /** parseConfig time not in the stages above (secret-range scan of the document, issue bookkeeping). */
    unstagedMs: round(parseConfigMs - staged, 2),
  };
});

rmSync(directory, { recursive: true, force: true });
writeResult(args.out, {
  runs: Object.fromEntries(sizes),
  cold: { aliases: 1000, loadMs: coldLoadMs, yamlParseMs: coldYamlParseMs },
  sizes: results,
});
