/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) into self-time per function and per area
 * (Switchyard's own modules, p-retry, the openai SDK, yaml, Node internals, GC, idle).
 */
import { readFileSync } from 'node:fs';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
};
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type FunctionTime = { function: string; location: string; area: string; selfMs: number };

export type ProfileSummary = {
  /** Sampled time, idle excluded, in ms. */
  busyMs: number;
  idleMs: number;
  byArea: Record<string, number>;
  top: FunctionTime[];
  /** Every function with self time, keyed `name@location`. */
  functions: Map<string, FunctionTime>;
};

/**
 * Functions whose self time per call grew the most from `base` to `other` (µs per call), for
 * "what does the router add over the SDK alone".
 */
export function addedFunctions(options: {
  base: ProfileSummary;
  baseCalls: number;
  other: ProfileSummary;
  otherCalls: number;
  limit: number;
}): (FunctionTime & { addedUsPerCall: number })[] {
  const keys = new Set([...options.base.functions.keys(), ...options.other.functions.keys()]);
  const rows: (FunctionTime & { addedUsPerCall: number })[] = [];
  for (const key of keys) {
    const before = options.base.functions.get(key);
    const after = options.other.functions.get(key);
    const entry = after ?? before;
    if (entry === undefined) continue;
    const added =
      ((after?.selfMs ?? 0) * 1000) / options.otherCalls -
      ((before?.selfMs ?? 0) * 1000) / options.baseCalls;
    rows.push({ ...entry, selfMs: after?.selfMs ?? 0, addedUsPerCall: added });
  }
  return rows.sort((a, b) => b.addedUsPerCall - a.addedUsPerCall).slice(0, options.limit);
}

/** The area a frame belongs to, from its script URL. */
export function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)' || url === 'node:inspector') return 'idle';
  if (functionName === '(program)') return 'v8 (program)';
  if (url.includes('/src/router/')) return 'switchyard router';
  if (url.includes('/src/config/') || url.includes('/src/internal/')) return 'switchyard config';
  if (url.includes('/src/')) return 'switchyard other';
  if (url.includes('/node_modules/p-retry/') || url.includes('/node_modules/is-network-error/'))
    return 'p-retry';
  if (url.includes('/node_modules/openai/')) return 'openai SDK';
  if (url.includes('/node_modules/yaml/')) return 'yaml';
  if (url.includes('/node_modules/')) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return match?.[1] ?? 'other package';
  }
  if (url.startsWith('node:') || url.startsWith('wasm://') || url === '')
    return 'node internals (undici, streams, timers)';
  if (url.includes('/bench/')) return 'bench harness';
  return 'other';
}

/**
 * Summarises profile files (several profiles of one workload add up); `top` lists the `limit`
 * functions with the most self time.
 */
export function summarizeProfile(paths: readonly string[], limit = 15): ProfileSummary {
  const byFunction = new Map<string, FunctionTime>();
  const byArea: Record<string, number> = {};
  let idleUs = 0;
  let busyUs = 0;
  for (const path of paths) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const selfByNode = new Map<number, number>();
    profile.samples.forEach((id, index) => {
      selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
    });
    for (const [id, microseconds] of selfByNode) {
      const frame = nodes.get(id)?.callFrame;
      if (frame === undefined) continue;
      const area = areaOf(frame.url, frame.functionName);
      if (area === 'idle') {
        idleUs += microseconds;
        continue;
      }
      busyUs += microseconds;
      byArea[area] = (byArea[area] ?? 0) + microseconds;
      const location = `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      const key = `${frame.functionName}@${location}`;
      const entry = byFunction.get(key) ?? {
        function: frame.functionName === '' ? '(anonymous)' : frame.functionName,
        location,
        area,
        selfMs: 0,
      };
      entry.selfMs += microseconds / 1000;
      byFunction.set(key, entry);
    }
  }
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    byArea: Object.fromEntries(
      Object.entries(byArea)
        .sort((a, b) => b[1] - a[1])
        .map(([area, microseconds]) => [area, microseconds / 1000]),
    ),
    top: [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, limit),
    functions: byFunction,
  };
}

function shortUrl(url: string): string {
  const packageMatch = /node_modules\/(.*)$/.exec(url);
  if (packageMatch !== null) return packageMatch[1] ?? url;
  const srcMatch = /\/(src\/.*)$/.exec(url);
  if (srcMatch !== null) return srcMatch[1] ?? url;
  const benchMatch = /\/(bench\/.*)$/.exec(url);
  if (benchMatch !== null) return benchMatch[1] ?? url;
  return url === '' ? '(native)' : url;
}
