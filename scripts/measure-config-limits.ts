/**
 * Measures what loading a config costs at the parser's limits: CPU time and peak memory of
 * parseConfig (parse, validate, compile, and the error report when it throws) for a large real
 * config and for the hostile shapes that cost most per byte, each grown to the size limit and
 * using the nesting and alias limits to the full. Each input runs in its own process (a fresh
 * heap, so its peak memory is its own), warm (the parser's code compiled first, as in a server
 * that reloads its config); the CPU figure is the median of three runs.
 *
 *   node scripts/measure-config-limits.ts                 # at the default limits
 *   node scripts/measure-config-limits.ts --size 65536    # at another size limit
 *   node scripts/measure-config-limits.ts --only "alias"  # the inputs whose name has "alias"
 *   node scripts/measure-config-limits.ts --json
 *
 * Prints, per input, its size, the outcome (table or the first issue code), CPU ms, CPU ms per
 * KiB, and the peak memory above the process's baseline (MiB).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/parse-config.ts';
import { defaultYamlLimits, type YamlLimits } from '../src/config/yaml-source.ts';
import { ConfigError } from '../src/errors.ts';
import { hostileConfigs, largeConfig, largeConfigEnv } from './config-inputs.ts';

type Measurement = {
  input: string;
  characters: number;
  outcome: string;
  cpuMs: number;
  cpuMsPerKiB: number;
  peakMiB: number;
};

const { values } = parseArgs({
  options: {
    size: { type: 'string' },
    depth: { type: 'string' },
    aliases: { type: 'string' },
    collections: { type: 'string' },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    child: { type: 'string' },
  },
});

const limits: YamlLimits = {
  maxSize: Number(values.size ?? defaultYamlLimits.maxSize),
  maxDepth: Number(values.depth ?? defaultYamlLimits.maxDepth),
  maxAliasCount: Number(values.aliases ?? defaultYamlLimits.maxAliasCount),
  maxCollections: Number(values.collections ?? defaultYamlLimits.maxCollections),
};

/**
 * Every input, by name; the real config holds as many aliases as fit in the size limit, at most
 * 1,000 (the schema's limit of upstreams, one per alias in its style).
 */
function inputs(): Record<string, string> {
  let aliases = 1;
  const fits = (count: number) => count <= 1000 && largeConfig(count).length <= limits.maxSize;
  while (fits(aliases * 2)) aliases *= 2;
  for (let step = aliases >> 1; step >= 1; step >>= 1) {
    if (fits(aliases + step)) aliases += step;
  }
  return {
    [`a real config: ${aliases} aliases in the example's style`]: largeConfig(aliases),
    ...hostileConfigs({ size: limits.maxSize, ...limits }),
  };
}

function parseOnce(text: string): string {
  try {
    parseConfig(text, { env: largeConfigEnv, limits, file: 'measured.yaml' });
    return 'table';
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const codes = new Set(error.issues.map((issue) => issue.code));
    return `${[...codes].join(', ')} (${error.issues.length})`;
  }
}

function cpuMs(action: () => void): number {
  const start = process.cpuUsage();
  action();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** In a child: measures one input. */
function measureOne(name: string): Measurement {
  const all = inputs();
  const text = all[name];
  if (text === undefined) throw new Error(`no input ${name}`);
  // Peak memory first, on a fresh heap (the warm-up would raise the baseline's high-water mark).
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const baseline = process.memoryUsage().rss;
  const outcome = parseOnce(text);
  const peakMiB = Math.max(0, process.resourceUsage().maxRSS * 1024 - baseline) / 2 ** 20;
  // Warm, then the median of three.
  for (let round = 0; round < 2; round++) parseOnce(text);
  const runs = [0, 1, 2].map(() => cpuMs(() => parseOnce(text))).sort((a, b) => a - b);
  const median = runs[1] ?? 0;
  return {
    input: name,
    characters: text.length,
    outcome,
    cpuMs: Math.round(median * 10) / 10,
    cpuMsPerKiB: Math.round((median / (text.length / 1024)) * 1000) / 1000,
    peakMiB: Math.round(peakMiB * 10) / 10,
  };
}

function runChild(name: string): Promise<Measurement> {
  const script = fileURLToPath(import.meta.url);
  const args = ['--child', name, '--size', String(limits.maxSize)];
  args.push('--depth', String(limits.maxDepth), '--aliases', String(limits.maxAliasCount));
  const child = fork(script, args, {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as Measurement));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`measuring "${name}" failed (exit ${code})`));
    });
  });
}

if (values.child !== undefined) {
  process.send?.(measureOne(values.child));
  process.disconnect?.();
} else {
  const results: Measurement[] = [];
  const names = Object.keys(inputs()).filter((name) => name.includes(values.only ?? ''));
  for (const name of names) results.push(await runChild(name));
  if (values.json) {
    console.log(JSON.stringify({ limits, results }));
  } else {
    console.log(
      `limits: maxSize ${limits.maxSize}, maxDepth ${limits.maxDepth}, maxAliasCount ${limits.maxAliasCount}`,
    );
    for (const result of results) {
      console.log(
        `${result.input.padEnd(56)} ${String(result.characters).padStart(9)} ch  ${String(result.cpuMs).padStart(8)} ms  ${String(result.cpuMsPerKiB).padStart(7)} ms/KiB  ${String(result.peakMiB).padStart(7)} MiB  ${result.outcome}`,
      );
    }
  }
}
