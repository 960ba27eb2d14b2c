/**
 * Config files the bench loads: a small one for the client ladder and failover (three
 * OpenAI-compatible gateways on the mock, plus failing ones), and large generated ones for the
 * config-load figures (N aliases × 3-target chains over 10 gateways, block style).
 */

/**
 * The size limit the large configs load with: they are bigger than the default limit (a 1,000-
 * alias config is about 290 KB), which a user with such a config raises the same way.
 */
export const largeConfigLimits = { maxSize: 8 * 1024 * 1024 } as const;

/** The key every bench gateway uses (from the env, as a real config would). */
export const benchEnv = { BENCH_API_KEY: 'sk-bench-0000' } as const;

/**
 * The ladder's config. `one` is a single target; `chain3` is a three-deep chain with a healthy
 * primary; `failover-503` and `failover-refused` fail fast on the primary (503 / connection
 * refused) and succeed on the second target. The `-default` aliases use the default retry
 * policy (retry the same target once, with backoff, before falling back); the others fall back
 * at once (`policy: { server: fallback, network: fallback }`).
 */
export function ladderConfigYaml(options: {
  mockUrl: string;
  refusedUrl: string;
  /**
   * Add the aliases `sized` (a context window and a price on its one target) and `hedged` (a
   * hedge that never fires on the healthy mock), for measuring what each costs when configured.
   * Off by default: a router older than these keys could not parse them (`bench/ab.ts --base`).
   */
  routing?: boolean;
}): string {
  const { mockUrl, refusedUrl } = options;
  const routing = options.routing === true;
  const gateway = (baseURL: string) =>
    `    type: openai-compatible\n    baseURL: ${baseURL}\n    apiKey: \${BENCH_API_KEY}\n`;
  return `version: 1
gateways:
  gw-a:
${gateway(`${mockUrl}/v1`)}  gw-b:
${gateway(`${mockUrl}/v1`)}  gw-c:
${gateway(`${mockUrl}/v1`)}  gw-503:
${gateway(`${mockUrl}/fail503/v1`)}  gw-refused:
${gateway(`${refusedUrl}/v1`)}
upstreams:
  a: { gateway: gw-a, model: gpt-4o-mini }
  b: { gateway: gw-b, model: gpt-4o-mini }
  c: { gateway: gw-c, model: gpt-4o-mini }
  down-503: { gateway: gw-503, model: gpt-4o-mini }
  down-refused: { gateway: gw-refused, model: gpt-4o-mini }
${routing ? '  a-sized: { gateway: gw-a, model: gpt-4o-mini, contextWindow: 128000, price: { input: 0.15, output: 0.6 } }\n' : ''}
models:
  one: a
${routing ? '  sized: a-sized\n  hedged: { targets: [a, b], hedge: { after: 10s } }\n' : ''}
  chain3:
    targets: [a, b, c]
  failover-503:
    targets: [down-503, b]
    policy: { server: fallback, network: fallback }
  failover-refused:
    targets: [down-refused, b]
    policy: { server: fallback, network: fallback }
  failover-503-default:
    targets: [down-503, b]
  failover-refused-default:
    targets: [down-refused, b]

defaults:
  timeout: 30s
`;
}

/**
 * A large config: `aliases` aliases, each a 3-target chain with its own retry and timeout, over
 * 10 gateways and `min(1000, aliases)` upstreams (the schema's upstream limit), block style.
 */
export function largeConfigYaml(aliases: number): string {
  const gateways = 10;
  const upstreams = Math.min(1000, aliases);
  const lines: string[] = ['version: 1', 'gateways:'];
  for (let index = 0; index < gateways; index += 1) {
    lines.push(
      `  gateway-${index}:`,
      '    type: openai-compatible',
      `    baseURL: http://127.0.0.1:${9000 + index}/v1`,
      '    apiKey: ${BENCH_API_KEY}',
      '    headers:',
      `      x-team: team-${index}`,
    );
  }
  lines.push('upstreams:');
  for (let index = 0; index < upstreams; index += 1) {
    lines.push(
      `  upstream-${index}:`,
      `    gateway: gateway-${index % gateways}`,
      `    model: provider-${index % 7}/model-${index}`,
      '    params:',
      `      max_tokens: ${256 + (index % 4) * 256}`,
      `      temperature: 0.${index % 10}`,
    );
  }
  lines.push('models:');
  for (let index = 0; index < aliases; index += 1) {
    lines.push(
      `  alias-${index}:`,
      '    targets:',
      `      - upstream-${index % upstreams}`,
      `      - upstream-${(index + 1) % upstreams}`,
      `      - upstream-${(index + 2) % upstreams}`,
      '    retry:',
      `      attempts: ${1 + (index % 3)}`,
      '      initialDelay: 200ms',
      '    timeout: 30s',
    );
  }
  lines.push('defaults:', '  retry: { attempts: 2, maxDelay: 8s }', '  timeout: 60s', '');
  return lines.join('\n');
}
