/**
 * CPU profiles of the per-call path and of the config compile step (see profile-target.ts).
 * Per call, the openai SDK alone and the router (one target; chain with every feature) are
 * sampled in alternating blocks in one process; per area (Switchyard, p-retry, the SDK, Node
 * internals, GC) the result gives µs of CPU per call, and the router-minus-SDK difference per
 * function says where the added time goes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addedFunctions, type ProfileSummary, summarizeProfile } from '../lib/cpu-profile.ts';
import { paths } from '../lib/modules.ts';
import { round } from '../lib/stats.ts';
import { suiteArguments, writeResult } from '../lib/suite.ts';

const args = suiteArguments();
const directory = mkdtempSync(join(tmpdir(), 'switchyard-bench-profile-'));
const target = join(paths.benchDirectory, 'suites', 'profile-target.ts');

function run(workload: string, blocks: number, blockSize: number) {
  const output = execFileSync(
    process.execPath,
    [
      target,
      '--workload',
      workload,
      '--blocks',
      String(blocks),
      '--block-size',
      String(blockSize),
      '--mock',
      args.mockUrl,
      '--directory',
      directory,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<
    string,
    { calls: number; ms: number }
  >;
}

function describe(name: string, totals: { calls: number; ms: number }) {
  const files = readdirSync(directory)
    .filter((file) => file.startsWith(`${name}-`))
    .map((file) => join(directory, file));
  const summary = summarizeProfile(files, 20);
  const perCall = (ms: number) => round((ms * 1000) / totals.calls, 2);
  return {
    summary,
    calls: totals.calls,
    wallUsPerCall: round((totals.ms * 1000) / totals.calls, 1),
    cpuUsPerCall: perCall(summary.busyMs),
    byAreaUsPerCall: Object.fromEntries(
      Object.entries(summary.byArea).map(([area, ms]) => [area, perCall(ms)]),
    ),
    top: summary.top.map((entry) => ({
      function: entry.function,
      location: entry.location,
      area: entry.area,
      usPerCall: perCall(entry.selfMs),
    })),
  };
}

const callTotals = run('calls', args.quick ? 4 : 10, args.quick ? 500 : 1000);
const compileTotals = run('compile', args.quick ? 2 : 4, 5);
const sdk = describe('sdk', callTotals['sdk'] ?? { calls: 1, ms: 0 });
const routerOne = describe('router-one', callTotals['router-one'] ?? { calls: 1, ms: 0 });
const routerFull = describe('router-full', callTotals['router-full'] ?? { calls: 1, ms: 0 });
const compile = describe('compile', compileTotals['compile'] ?? { calls: 1, ms: 0 });

const added = (other: typeof routerOne) =>
  addedFunctions({
    base: sdk.summary,
    baseCalls: sdk.calls,
    other: other.summary,
    otherCalls: other.calls,
    limit: 20,
  }).map((entry) => ({
    function: entry.function,
    location: entry.location,
    area: entry.area,
    addedUsPerCall: round(entry.addedUsPerCall, 2),
  }));
const addedByArea = (other: typeof routerOne) => {
  const areas = new Set([
    ...Object.keys(sdk.byAreaUsPerCall),
    ...Object.keys(other.byAreaUsPerCall),
  ]);
  return Object.fromEntries(
    [...areas]
      .map((area): [string, number] => [
        area,
        round((other.byAreaUsPerCall[area] ?? 0) - (sdk.byAreaUsPerCall[area] ?? 0), 2),
      ])
      .sort((a, b) => b[1] - a[1]),
  );
};
const strip = ({
  summary: _summary,
  ...rest
}: { summary: ProfileSummary } & Record<string, unknown>) => rest;

rmSync(directory, { recursive: true, force: true });
writeResult(args.out, {
  samplingIntervalUs: 100,
  perCall: {
    sdk: strip(sdk),
    routerOne: strip(routerOne),
    routerFull: strip(routerFull),
    routerOneAddedByAreaUsPerCall: addedByArea(routerOne),
    routerOneAddedFunctionsUsPerCall: added(routerOne),
    routerFullAddedByAreaUsPerCall: addedByArea(routerFull),
  },
  compile: strip(compile),
});
