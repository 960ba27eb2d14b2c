/**
 * The guard's verdict as text: per Switchyard rung and kind (plain call, time to first chunk),
 * the added p50 over the SDK with its interval, the A/A control's noise, the limit (target +
 * noise) and pass/FAIL; then any contradiction between rungs.
 */

type EstimateUs = { estimateUs: number; intervalUs: [number, number]; confidence: number };
type GuardCheck = {
  rung: string;
  kind: 'plain' | 'ttft';
  addedP50Us: number;
  intervalUs: [number, number];
  noiseUs: number;
  limitUs: number;
  pass: boolean;
};
type OverheadResult = {
  mode: string;
  seed: number;
  durationS: number;
  control: { plain?: { controlUs: EstimateUs }; ttft?: { controlUs: EstimateUs } };
  consistency: {
    contradictions: { kind: string; subset: string; superset: string; differenceUs: EstimateUs }[];
  };
  guard: { targetUs: number; rule: string; checks: GuardCheck[]; pass: boolean };
};

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const interval = (range: readonly [number, number]) => `[${signed(range[0])}, ${signed(range[1])}]`;

export function formatGuard(result: OverheadResult): { text: string; pass: boolean } {
  const { guard, control } = result;
  const kindLabel = { plain: 'plain call', ttft: 'first chunk' } as const;
  const lines = [
    `bench guard (${result.mode} run, ${result.durationS} s, seed ${result.seed}): ${guard.rule}; target ${guard.targetUs} µs`,
    ...(['plain', 'ttft'] as const).map((kind) => {
      const reading = control[kind]?.controlUs;
      return reading === undefined
        ? `  A/A control, ${kindLabel[kind]}: not measured`
        : `  A/A control, ${kindLabel[kind]}: ${signed(reading.estimateUs)} µs ${interval(reading.intervalUs)} (${Math.round(reading.confidence * 100)}% interval)`;
    }),
    ...guard.checks.map(
      (check) =>
        `  ${check.pass ? 'pass' : 'FAIL'}  ${check.rung.padEnd(13)} ${kindLabel[check.kind].padEnd(12)} added p50 ${signed(check.addedP50Us)} µs ${interval(check.intervalUs)}, limit ${check.limitUs.toFixed(1)} µs (${guard.targetUs} + noise ${check.noiseUs.toFixed(1)})`,
    ),
    ...result.consistency.contradictions.map(
      (entry) =>
        `  warning: ${entry.superset} reads cheaper than ${entry.subset} (${entry.kind}: ${signed(entry.differenceUs.estimateUs)} µs ${interval(entry.differenceUs.intervalUs)}); that pair is not to be trusted on this run`,
    ),
    guard.pass ? 'bench guard: pass' : 'bench guard: FAIL',
  ];
  return { text: lines.join('\n'), pass: guard.pass };
}
