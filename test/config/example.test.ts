/**
 * `config.example.yaml` at the repository root: valid, complete (every key of the schema), and
 * ready for the offline demo (base URLs and credentials from the environment).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, parseDocument, visit } from 'yaml';
import type { GatewayType } from '../../src/config/route-table.ts';
import { gatewayAdapters } from '../../src/gateways/index.ts';
import { loadConfig } from '../../src/index.ts';
import { configSchema } from '../../src/internal/config-schema.generated.ts';
import { catchConfigError } from './helpers.ts';

const path = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));
const text = readFileSync(path, 'utf8');

/** The credentials and ids the example needs from the environment (none has a default). */
const required = [
  'AI_GATEWAY_API_KEY',
  'CLOUDFLARE_ACCOUNT_ID',
  'CLOUDFLARE_AIG_TOKEN',
  'CLOUDFLARE_API_TOKEN',
  'GROQ_API_KEY',
  'OPENAI_API_KEY',
  'OPENROUTER_API_KEY',
  'SERVE_CLIENT_KEY',
];
const completeEnv = Object.fromEntries(
  required.map((name) => [name, `test-${name.toLowerCase()}`]),
);

/** Every property name the schema defines, anywhere. */
function schemaKeys(): Set<string> {
  const keys = new Set<string>();
  const stack: unknown[] = [configSchema];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    const properties = (node as Record<string, unknown>)['properties'];
    if (typeof properties === 'object' && properties !== null) {
      for (const key of Object.keys(properties)) keys.add(key);
    }
    stack.push(...Object.values(node));
  }
  return keys;
}

/** Every key used in the example, anywhere. */
function exampleKeys(): Set<string> {
  const keys = new Set<string>();
  visit(parseDocument(text), {
    Pair(_key, pair) {
      if (isScalar(pair.key)) keys.add(String(pair.key.value));
    },
  });
  return keys;
}

describe('config.example.yaml', () => {
  const table = loadConfig(path, { env: completeEnv });

  it('starts with the schema comment for editors, pointing at the shipped schema', () => {
    const first = text.split('\n')[0] as string;
    expect(first).toBe('# yaml-language-server: $schema=./schema/config.schema.json');
    const schemaPath = new URL('../../schema/config.schema.json', import.meta.url);
    expect(JSON.parse(readFileSync(schemaPath, 'utf8')).$id).toBe(configSchema['$id']);
  });

  it('loads with a complete environment, with the aliases it documents', () => {
    expect(Object.keys(table.aliases)).toEqual([
      'fast',
      'smart',
      'reliable',
      'cheap',
      'edge-chain',
      'support',
      'balanced',
      'hedged',
      'tiered',
      'mini',
    ]);
    // balanced: load balancing, 3:1.
    expect(table.aliases['balanced']).toMatchObject({ strategy: 'weighted', weights: [3, 1] });
    // fast: a Cloudflare primary, then a fallback on OpenRouter or an OpenAI-compatible server.
    const fast = table.aliases['fast']?.targets ?? [];
    const gatewayOf = (upstream: string) =>
      table.gateways[table.upstreams[upstream]?.gateway ?? '']?.type;
    expect(fast.length).toBeGreaterThanOrEqual(2);
    expect(gatewayOf(fast[0] as string)).toBe('cloudflare');
    expect(['openrouter', 'openai-compatible']).toContain(gatewayOf(fast[1] as string));
    // The fallback is a different model, so a fault on the primary's model spares it.
    expect(table.upstreams[fast[1] as string]?.model).not.toBe(
      table.upstreams[fast[0] as string]?.model,
    );
    expect(table.aliases['fast']?.retry.attempts).toBe(3);
    expect(table.aliases['fast']?.timeouts.totalMs).toBe(120_000);
    // smart: the shorthand form.
    expect(table.aliases['smart']?.targets).toEqual(['claude']);
    // tiered: each when entry's chain resolved like targets (aliases spliced, inline targets).
    expect(table.aliases['tiered']?.when?.map((entry) => [entry.match, entry.targets])).toEqual([
      [
        { tier: ['free'] },
        ['cloudflare-open:workers-ai/@cf/meta/llama-3.1-8b-instruct', 'local:llama3.2'],
      ],
      [
        { region: ['eu', 'ch'] },
        ['openrouter:mistralai/mistral-small', 'llama-groq', 'gpt-mini-or'],
      ],
    ]);
    expect(table.upstreams['gpt-mini-or']?.price).toEqual({
      input: 0.15,
      output: 0.6,
      cachedInput: 0.075,
    });
    // reliable: nested aliases spliced in.
    expect(table.aliases['reliable']?.targets).toEqual([
      'claude',
      'claude-vercel',
      'llama-groq',
      'gpt-mini-or',
    ]);
    // cheap: inline <gateway>:<model> targets.
    expect(table.aliases['cheap']?.targets).toEqual([
      'cloudflare-open:workers-ai/@cf/meta/llama-3.1-8b-instruct',
      'local:llama3.2',
    ]);
    expect(table.aliases['support']?.timeouts).toEqual({
      totalMs: 90_000,
      attemptMs: 15_000,
      firstTokenMs: 5000,
      idleMs: 10_000,
    });
    // edge-chain: served by its dynamic route, the Vercel target behind it.
    expect(table.aliases['edge-chain']?.targets).toEqual([
      'cloudflare-rest:dynamic/edge-chain',
      'claude-vercel',
    ]);
    expect(table.aliases['edge-chain']?.dynamicRoute).toEqual({
      name: 'edge-chain',
      gateway: 'cloudflare-rest',
      edge: ['gpt-rest', 'llama-rest'],
      // 2 models × 2 tries × 20s + 20s for the gateway, capped at the 60s deadline.
      attemptMs: 60_000,
    });
    expect(table.defaults.gateway).toBe('openrouter');
  });

  it('uses every gateway type and every Cloudflare auth mode', () => {
    const gateways = Object.values(table.gateways);
    expect(new Set(gateways.map((gateway) => gateway.type))).toEqual(
      new Set(['cloudflare', 'vercel', 'openrouter', 'openai-compatible']),
    );
    expect(new Set(gateways.map((gateway) => gateway.auth.mode))).toEqual(
      new Set(['provider-keys', 'provider-keys+token', 'stored-keys', 'api-token', 'bearer']),
    );
    // Distinct Cloudflare gateway ids, so an emulator can tell their auth rules apart.
    const cloudflare = gateways.filter((gateway) => gateway.type === 'cloudflare');
    expect(new Set(cloudflare.map((gateway) => gateway.baseURL)).size).toBe(cloudflare.length);
  });

  it('uses every key the schema defines', () => {
    const used = exampleKeys();
    const missing = [...schemaKeys()].filter((key) => key !== '$schema' && !used.has(key));
    expect(missing).toEqual([]);
  });

  it('writes durations in every form: ms, s, m, h, fractions and plain milliseconds', () => {
    for (const form of [
      /: \d+ms\b/,
      /: \d+s\b/,
      /: \d+m\b/,
      /: \d+h\b/,
      /: \d+\.\d+s\b/,
      /requestTimeout: \d+ /,
    ]) {
      expect(text).toMatch(form);
    }
    expect(table.gateways['cloudflare']?.options.requestTimeoutMs).toBe(30_000);
  });

  it('takes every base URL from SWITCHYARD_<NAME>_BASE_URL, defaulting to the public endpoint', () => {
    const document = parseDocument(text);
    const gateways = document.get('gateways');
    expect(isMap(gateways)).toBe(true);
    if (!isMap(gateways)) return;
    for (const item of gateways.items) {
      const name = String((item.key as { value: unknown }).value);
      const gateway = item.value;
      if (!isMap(gateway)) throw new Error(`gateway ${name} is not a map`);
      const type = String(gateway.get('type')) as GatewayType;
      const publicEndpoint =
        type === 'openai-compatible'
          ? 'http://127.0.0.1:11434/v1'
          : gatewayAdapters[type].defaultBaseURL(gateway.toJSON());
      const variable = `SWITCHYARD_${name.toUpperCase().replace(/-/g, '_')}_BASE_URL`;
      expect(gateway.get('baseURL'), name).toBe(`\${${variable}:-${publicEndpoint}}`);
    }
    // So the demo can point every gateway at one local emulator without editing the file.
    const emulator = 'http://127.0.0.1:8787';
    const env = {
      ...completeEnv,
      SWITCHYARD_CLOUDFLARE_BASE_URL: emulator,
      SWITCHYARD_CLOUDFLARE_OPEN_BASE_URL: emulator,
      SWITCHYARD_CLOUDFLARE_BYOK_BASE_URL: emulator,
      SWITCHYARD_CLOUDFLARE_REST_BASE_URL: emulator,
      SWITCHYARD_VERCEL_BASE_URL: `${emulator}/v1`,
      SWITCHYARD_OPENROUTER_BASE_URL: `${emulator}/api/v1`,
      SWITCHYARD_LOCAL_BASE_URL: `${emulator}/v1`,
    };
    const local = loadConfig(path, { env });
    for (const gateway of Object.values(local.gateways)) {
      expect(gateway.origin, gateway.name).toBe(emulator);
    }
    expect(local.gateways['cloudflare-byok']?.baseURL).toBe(
      `${emulator}/v1/test-cloudflare_account_id/switchyard-byok/compat`,
    );
  });

  it('holds no literal credential: every apiKey, token and key is a ${VAR}', () => {
    const document = parseDocument(text);
    const credentials: string[] = [];
    visit(document, {
      Pair(_key, pair, ancestors) {
        if (!isScalar(pair.key)) return;
        const name = String(pair.key.value);
        const parent = ancestors.at(-2);
        const underKeys = isPair(parent) && isScalar(parent.key) && parent.key.value === 'keys';
        if ((name === 'apiKey' || name === 'token' || underKeys) && isScalar(pair.value)) {
          credentials.push(String(pair.value.value));
        }
      },
    });
    expect(credentials.length).toBeGreaterThanOrEqual(8);
    for (const value of credentials) expect(value).toMatch(/^\$\{[A-Z0-9_]+(:-none)?\}$/);
  });

  it('reports every missing variable in one error when the environment is empty', () => {
    const error = catchConfigError(() => loadConfig(path, { env: {} }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(new Set(error.issues.map((issue) => issue.code))).toEqual(new Set(['ENV_VAR_MISSING']));
    const names = new Set(error.issues.map((issue) => /variable (\w+)/.exec(issue.message)?.[1]));
    expect([...names].sort()).toEqual(required);
    for (const issue of error.issues) {
      expect(issue.line).toBeGreaterThan(0);
      expect(error.message).toContain(`${path}:${issue.line}:${issue.column} ENV_VAR_MISSING`);
    }
  });
});
