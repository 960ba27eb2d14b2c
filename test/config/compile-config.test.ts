import { describe, expect, it } from 'vitest';
import {
  defaultPolicy,
  defaultRetryPolicy,
  defaultTimeouts,
} from '../../src/config/builtin-defaults.ts';
import { compileConfig } from '../../src/config/compile-config.ts';
import type { SwitchyardConfig } from '../../src/config/config.generated.ts';
import type { GatewayAuth, RouteTable } from '../../src/config/route-table.ts';
import { routingForWire } from '../../src/gateways/routing.ts';
import { parseConfig } from '../../src/index.ts';
import { catchConfigError, parseFixture, where } from './helpers.ts';

const env = {
  ACCOUNT: 'acct',
  GATEWAY: 'gw',
  TOKEN: 'aig-token',
  OPENAI: 'sk-openai',
  GROQ: 'gsk-groq',
  OPENROUTER: 'sk-or',
  VERCEL: 'vck',
};

/** Gateways of every kind and every Cloudflare auth mode, used by most tests below. */
const gateways = `
gateways:
  open:
    type: cloudflare
    accountId: \${ACCOUNT}
    gatewayId: \${GATEWAY}
    auth:
      keys: { openai: "\${OPENAI}", groq: "\${GROQ}" }
  authed:
    type: cloudflare
    accountId: \${ACCOUNT}
    gatewayId: \${GATEWAY}
    auth:
      token: \${TOKEN}
      keys: { openai: "\${OPENAI}" }
  byok:
    type: cloudflare
    accountId: \${ACCOUNT}
    gatewayId: \${GATEWAY}
    baseURL: http://127.0.0.1:8787
    auth:
      token: \${TOKEN}
      keys: stored
      unifiedBilling: true
  openrouter:
    type: openrouter
    apiKey: \${OPENROUTER}
  vercel:
    type: vercel
    apiKey: \${VERCEL}
  local:
    type: openai-compatible
    baseURL: http://127.0.0.1:11434/v1/
`;

function compile(rest: string): RouteTable {
  return parseConfig(`version: 1\n${gateways}${rest}`, { env });
}

function issuesOf(rest: string) {
  return catchConfigError(() => compile(rest)).issues;
}

/** The line of `needle` in the text `compile(rest)` parses (1-based). */
function lineOf(rest: string, needle: string): number {
  const lines = `version: 1\n${gateways}${rest}`.split('\n');
  const index = lines.findIndex((line) => line.includes(needle));
  if (index === -1) throw new Error(`"${needle}" not found`);
  return index + 1;
}

describe('gateways', () => {
  it('builds the Cloudflare compat URL, and keeps the path after a baseURL override', () => {
    const table = compile('models:\n  fast: open:openai/gpt-4o-mini\n');
    expect(table.gateways['open']?.baseURL).toBe(
      'https://gateway.ai.cloudflare.com/v1/acct/gw/compat',
    );
    expect(table.gateways['open']?.origin).toBe('https://gateway.ai.cloudflare.com');
    expect(table.gateways['byok']?.baseURL).toBe('http://127.0.0.1:8787/v1/acct/gw/compat');
    expect(table.gateways['byok']?.origin).toBe('http://127.0.0.1:8787');
  });

  it('keeps a path prefix of a Cloudflare baseURL and drops trailing slashes', () => {
    const text = `version: 1
gateways:
  proxy:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: https://proxy.example.com/ai-gateway/
    auth: { keys: { openai: sk } }
models:
  fast: proxy:openai/gpt-4o
`;
    expect(parseConfig(text, { env: {} }).gateways['proxy']?.baseURL).toBe(
      'https://proxy.example.com/ai-gateway/v1/acct/gw/compat',
    );
  });

  it('uses each type’s public endpoint by default, and baseURL as given otherwise', () => {
    const table = compile('models:\n  fast: local:llama3.2\n');
    expect(table.gateways['openrouter']?.baseURL).toBe('https://openrouter.ai/api/v1');
    expect(table.gateways['vercel']?.baseURL).toBe('https://ai-gateway.vercel.sh/v1');
    expect(table.gateways['local']?.baseURL).toBe('http://127.0.0.1:11434/v1');
    expect(table.gateways['local']?.origin).toBe('http://127.0.0.1:11434');
  });

  it('compiles each Cloudflare auth mode, and bearer auth for the others', () => {
    const table = compile('models:\n  fast: local:llama3.2\n');
    const modes = Object.fromEntries(
      Object.values(table.gateways).map((gateway) => [gateway.name, gateway.auth.mode]),
    );
    expect(modes).toEqual({
      open: 'provider-keys',
      authed: 'provider-keys+token',
      byok: 'stored-keys',
      openrouter: 'bearer',
      vercel: 'bearer',
      local: 'bearer',
    });
    const open = table.gateways['open']?.auth as Extract<GatewayAuth, { mode: 'provider-keys' }>;
    expect(Object.keys(open.keys)).toEqual(['openai', 'groq']);
    expect(open.keys['groq']?.reveal()).toBe('gsk-groq');
    const authed = table.gateways['authed']?.auth as Extract<
      GatewayAuth,
      { mode: 'provider-keys+token' }
    >;
    expect(authed.token.reveal()).toBe('aig-token');
    expect(authed.keys['openai']?.reveal()).toBe('sk-openai');
    const byok = table.gateways['byok']?.auth as Extract<GatewayAuth, { mode: 'stored-keys' }>;
    expect(byok.token.reveal()).toBe('aig-token');
    expect(byok.unifiedBilling).toBe(true);
    const local = table.gateways['local']?.auth as Extract<GatewayAuth, { mode: 'bearer' }>;
    expect(local.apiKey).toBeUndefined(); // no key: no Authorization header
    const openrouter = table.gateways['openrouter']?.auth as Extract<
      GatewayAuth,
      { mode: 'bearer' }
    >;
    expect(openrouter.apiKey?.reveal()).toBe('sk-or');
  });

  it('stored keys default to no Unified Billing; unifiedBilling needs keys: stored', () => {
    const text = `version: 1
gateways:
  byok: { type: cloudflare, accountId: a, gatewayId: g, auth: { token: t, keys: stored } }
  open: { type: cloudflare, accountId: a, gatewayId: g, auth: { keys: { openai: k }, unifiedBilling: false } }
models:
  fast: byok:openai/gpt-4o
`;
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    expect(error.issues.map(where)).toEqual([{ code: 'INVALID_VALUE', line: 4, column: 86 }]);
    expect(error.issues[0]?.path).toEqual(['gateways', 'open', 'auth', 'unifiedBilling']);
    const fixed = parseConfig(text.replace(', unifiedBilling: false', ''), { env: {} });
    expect(fixed.gateways['byok']?.auth).toMatchObject({
      mode: 'stored-keys',
      unifiedBilling: false,
    });
  });

  it('rejects a baseURL with credentials, a query or a fragment', () => {
    for (const url of [
      'https://user:pass@proxy.example.com/v1',
      'https://proxy.example.com/v1?key=x',
      'https://proxy.example.com/v1#x',
    ]) {
      const text = `version: 1\ngateways:\n  local: { type: openai-compatible, baseURL: "${url}" }\nmodels:\n  fast: local:x\n`;
      const error = catchConfigError(() => parseConfig(text, { env: {} }));
      expect(error.issues.map(where)).toEqual([{ code: 'INVALID_VALUE', line: 3, column: 46 }]);
      // The URL may carry a key: the excerpt blanks it.
      expect(error.message).not.toContain(url);
      expect(error.message).toContain('baseURL: <redacted> }');
    }
  });

  it('lower-cases header names and refuses credential headers', () => {
    const table = compile(
      '  local-h:\n    type: openai-compatible\n    baseURL: http://127.0.0.1:1/v1\n    headers: { X-Team: search }\nmodels:\n  fast: local:x\n',
    );
    // (the lines above extend `gateways:`)
    expect(Object.keys(table.gateways['local-h']?.headers ?? {})).toEqual(['x-team']);
    const rest =
      '  local-h:\n    type: openai-compatible\n    baseURL: http://127.0.0.1:1/v1\n    headers: { Authorization: Bearer x, cf-aig-authorization: y }\nmodels:\n  fast: local:x\n';
    const issues = issuesOf(rest);
    expect(issues.map((issue) => issue.code)).toEqual(['INVALID_VALUE', 'INVALID_VALUE']);
    expect(issues.map((issue) => issue.path.at(-1))).toEqual([
      'Authorization',
      'cf-aig-authorization',
    ]);
  });
});

describe('upstreams and targets', () => {
  it('takes the provider from a Cloudflare model, and requires one', () => {
    const table = compile(
      'upstreams:\n  gpt: { gateway: open, model: openai/gpt-4o-mini }\nmodels:\n  fast: gpt\n',
    );
    expect(table.upstreams['gpt']).toMatchObject({
      gateway: 'open',
      model: 'openai/gpt-4o-mini',
      provider: 'openai',
    });
    const rest =
      'upstreams:\n  bare: { gateway: open, model: gpt-4o-mini }\nmodels:\n  fast: bare\n';
    const issues = issuesOf(rest);
    expect(issues.map(where)).toEqual([
      { code: 'INVALID_VALUE', line: lineOf(rest, 'bare:'), column: 33 },
    ]);
    expect(issues[0]?.message).toContain('provider/model');
  });

  it('needs a key per provider unless keys are stored; dynamic routes need stored keys', () => {
    const rest = `upstreams:
  groq-authed: { gateway: authed, model: groq/llama-3.3-70b }
  route-open: { gateway: open, model: dynamic/support }
  route-byok: { gateway: byok, model: dynamic/support }
  anything-byok: { gateway: byok, model: mistral/mistral-large }
models:
  fast: { targets: [route-byok, anything-byok] }
`;
    const issues = issuesOf(rest);
    expect(issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['MISSING_CREDENTIAL', 'upstreams.groq-authed.model'],
      ['MISSING_CREDENTIAL', 'upstreams.route-open.model'],
    ]);
    expect(issues[0]?.message).toContain('provider "groq"');
    expect(issues[1]?.message).toContain('keys: stored');
  });

  it('compiles a shorthand alias to a one-target chain', () => {
    const table = compile(
      'upstreams:\n  claude: { gateway: byok, model: anthropic/claude-sonnet-4-5 }\nmodels:\n  smart: claude\n',
    );
    expect(table.aliases['smart']?.targets).toEqual(['claude']);
  });

  it('splices nested aliases in order, keeping the outer alias’s own settings', () => {
    const table = compile(`upstreams:
  a: { gateway: local, model: a }
  b: { gateway: local, model: b }
  c: { gateway: local, model: c }
models:
  fast: { targets: [a, b], retry: { attempts: 5 } }
  slow: c
  all: { targets: [fast, slow, "local:d"], retry: { attempts: 1 } }
  outer: { targets: [all] }
`);
    expect(table.aliases['all']?.targets).toEqual(['a', 'b', 'c', 'local:d']);
    expect(table.aliases['all']?.retry.attempts).toBe(1);
    expect(table.aliases['outer']?.targets).toEqual(['a', 'b', 'c', 'local:d']);
    expect(table.aliases['outer']?.retry.attempts).toBe(defaultRetryPolicy.attempts);
  });

  it('prefers an upstream over an alias of the same name (so `claude: claude` is no loop)', () => {
    const table = compile(`upstreams:
  claude: { gateway: byok, model: anthropic/claude-sonnet-4-5 }
models:
  claude: claude
  best: { targets: [claude] }
`);
    expect(table.aliases['claude']?.targets).toEqual(['claude']);
    expect(table.aliases['best']?.targets).toEqual(['claude']);
    expect(table.upstreams['claude']?.model).toBe('anthropic/claude-sonnet-4-5');
  });

  it('turns inline <gateway>:<model> targets into upstreams named after them', () => {
    const table = compile(`models:
  fast: { targets: ["open:groq/llama-3.3-70b", "openrouter:openai/gpt-4o-mini"] }
  direct: "local:qwen2.5:7b"
`);
    expect(table.aliases['fast']?.targets).toEqual([
      'open:groq/llama-3.3-70b',
      'openrouter:openai/gpt-4o-mini',
    ]);
    expect(table.upstreams['open:groq/llama-3.3-70b']).toMatchObject({
      gateway: 'open',
      model: 'groq/llama-3.3-70b',
      provider: 'groq',
    });
    // Only the first colon splits: the model keeps its own colons.
    expect(table.upstreams['local:qwen2.5:7b']).toMatchObject({
      gateway: 'local',
      model: 'qwen2.5:7b',
    });
  });

  it('checks inline targets like declared upstreams', () => {
    const rest = `models:
  fast: { targets: ["authed:groq/llama", "local:"] }
`;
    const issues = issuesOf(rest);
    expect(issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['INVALID_VALUE', 'models.fast.targets.1'],
    ]);
    const credential = issuesOf('models:\n  fast: { targets: ["authed:groq/llama"] }\n');
    expect(credential.map((issue) => issue.code)).toEqual(['MISSING_CREDENTIAL']);
  });

  it('rejects params that each request sets itself', () => {
    const rest = `upstreams:
  a: { gateway: local, model: a, params: { model: b, temperature: 0.2, stream: true } }
models:
  fast: { targets: [a], params: { messages: [], max_tokens: 10 } }
`;
    const issues = issuesOf(rest);
    expect(issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['INVALID_VALUE', 'upstreams.a.params.model'],
      ['INVALID_VALUE', 'upstreams.a.params.stream'],
      ['INVALID_VALUE', 'models.fast.params.messages'],
    ]);
  });

  it('limits a chain to 32 targets after splicing', () => {
    const upstreams = Array.from(
      { length: 33 },
      (_, index) => `  u${index}: { gateway: local, model: m${index} }`,
    );
    const first = Array.from({ length: 16 }, (_, index) => `u${index}`).join(', ');
    const second = Array.from({ length: 16 }, (_, index) => `u${index + 16}`).join(', ');
    const table = compile(`upstreams:
${upstreams.join('\n')}
models:
  one: { targets: [${first}] }
  two: { targets: [${second}] }
  both: { targets: [one, two] }
`);
    expect(table.aliases['both']?.targets).toHaveLength(32);
    const issues = issuesOf(`upstreams:
${upstreams.join('\n')}
models:
  one: { targets: [${first}] }
  two: { targets: [${second}] }
  all: { targets: [one, two, u32] }
`);
    expect(issues.map((issue) => issue.code)).toEqual(['INVALID_VALUE']);
    expect(issues[0]?.message).toContain('33 targets');
  });

  it('reports a cycle through three aliases once, with its path', () => {
    const issues = issuesOf(`models:
  a: { targets: [b] }
  b: { targets: [c] }
  c: { targets: [a] }
`);
    expect(issues.map((issue) => issue.code)).toEqual(['FALLBACK_CYCLE']);
    expect(issues[0]?.message).toContain('a → b → c → a');
  });
});

describe('defaults and durations', () => {
  it('applies the built-in defaults when nothing is set', () => {
    const table = compile('models:\n  fast: local:x\n');
    expect(table.aliases['fast']?.retry).toEqual(defaultRetryPolicy);
    // No attempt limit set: the targets hand over (see the retries page).
    expect(table.aliases['fast']?.timeouts).toEqual({ ...defaultTimeouts, handOver: true });
    expect({ ...table.aliases['fast']?.policy }).toEqual(defaultPolicy);
    expect(table.defaults.gateway).toBeUndefined();
  });

  it('cascades defaults into each alias, and an alias overrides field by field', () => {
    const table = compile(`models:
  plain: local:x
  tuned:
    targets: [local:y]
    retry: { attempts: 5 }
    timeout: { attempt: 4s, firstToken: 1.5s }
    policy: { auth: fail }
defaults:
  retry: { attempts: 3, initialDelay: 100ms, maxDelay: 2s, factor: 3, jitter: false }
  timeout: { total: 20s, idle: 5s }
  policy: { rate_limit: fallback }
  gateway: local
`);
    expect(table.aliases['plain']?.retry).toEqual({
      attempts: 3,
      initialDelayMs: 100,
      maxDelayMs: 2000,
      factor: 3,
      jitter: false,
    });
    expect(table.aliases['tuned']?.retry).toEqual({
      attempts: 5,
      initialDelayMs: 100,
      maxDelayMs: 2000,
      factor: 3,
      jitter: false,
    });
    expect(table.aliases['plain']?.timeouts).toEqual({
      totalMs: 20_000,
      attemptMs: 20_000,
      idleMs: 5000,
      handOver: true,
    });
    expect(table.aliases['tuned']?.timeouts).toEqual({
      totalMs: 20_000,
      attemptMs: 4000,
      firstTokenMs: 1500,
      idleMs: 5000,
    });
    expect(table.aliases['plain']?.policy.rate_limit).toBe('fallback');
    expect(table.aliases['plain']?.policy.auth).toBe(defaultPolicy.auth);
    expect(table.aliases['tuned']?.policy.rate_limit).toBe('fallback');
    expect(table.aliases['tuned']?.policy.auth).toBe('fail');
    expect(table.defaults.gateway).toBe('local');
    expect(table.defaults.retry.attempts).toBe(3);
  });

  it('reads a duration shorthand as the total deadline, and caps the attempt limit by it', () => {
    const table = compile(`models:
  short: { targets: [local:x], timeout: 20s }
  capped: { targets: [local:x], timeout: { total: 3s } }
defaults:
  timeout: { total: 60s, attempt: 10s }
`);
    expect(table.aliases['short']?.timeouts).toMatchObject({ totalMs: 20_000, attemptMs: 10_000 });
    expect(table.aliases['capped']?.timeouts).toMatchObject({ totalMs: 3000, attemptMs: 3000 });
  });

  it.each([
    ['250ms', 250],
    ['20s', 20_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1500', 1500],
    ['0.25s', 250],
  ])('parses the duration %s as %i ms', (written, ms) => {
    const table = compile(`models:\n  fast: { targets: [local:x], timeout: ${written} }\n`);
    expect(table.aliases['fast']?.timeouts.totalMs).toBe(ms);
  });

  it('rejects a zero deadline and a delay outside its range', () => {
    const rest = `models:
  fast: { targets: [local:x], timeout: 0 }
  slow: { targets: [local:x], retry: { maxDelay: 2h } }
`;
    const issues = issuesOf(rest);
    expect(issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['INVALID_VALUE', 'models.fast.timeout'],
      ['INVALID_VALUE', 'models.slow.retry.maxDelay'],
    ]);
    expect(issues[0]?.message).toBe('must be between 1ms and 24h');
  });

  it('reports an unknown default gateway with the names that exist', () => {
    const issues = issuesOf('models:\n  fast: local:x\ndefaults:\n  gateway: lcoal\n');
    expect(issues.map((issue) => issue.code)).toEqual(['UNKNOWN_REFERENCE']);
    expect(issues[0]?.message).toContain('did you mean "local"?');
  });
});

describe('gateway options', () => {
  it('converts Cloudflare durations to the units of their headers', () => {
    const table = compile(`upstreams:
  gpt:
    gateway: open
    model: openai/gpt-4o
    options: { cacheTtl: 5m, requestTimeout: 2.5s, retryDelay: 500ms, maxAttempts: 3, backoff: linear }
models:
  fast: gpt
`);
    expect({ ...table.upstreams['gpt']?.options }).toEqual({
      cacheTtlSeconds: 300,
      requestTimeoutMs: 2500,
      retryDelayMs: 500,
      maxAttempts: 3,
      backoff: 'linear',
    });
  });

  it('applies an alias option when any of its targets can use it', () => {
    const table = compile(`models:
  mixed:
    targets: ["open:openai/gpt-4o", "openrouter:openai/gpt-4o"]
    options: { cacheTtl: 1m, routing: { allowFallbacks: false }, metadata: { app: search } }
`);
    expect(table.aliases['mixed']?.options).toMatchObject({
      cacheTtlSeconds: 60,
      routing: { allowFallbacks: false },
      metadata: { app: 'search' },
    });
  });

  it('rejects an option none of the targets can use, naming where', () => {
    const rest = `models:
  plain:
    targets: [local:x]
    options: { skipCache: true, attribution: { title: App } }
  routed:
    targets: ["openrouter:openai/gpt-4o"]
    options: { routing: { models: [a] } }
`;
    const issues = issuesOf(rest);
    expect(issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['OPTION_NOT_APPLICABLE', 'models.plain.options.skipCache'],
      ['OPTION_NOT_APPLICABLE', 'models.plain.options.attribution'],
      ['OPTION_NOT_APPLICABLE', 'models.routed.options.routing.models'],
    ]);
    expect(issues[0]?.message).toContain('alias "plain"');
  });

  it('counts metadata after merging gateway, upstream and alias entries', () => {
    const error = catchConfigError(() => parseFixture('metadata-too-many.yaml'));
    expect(error.issues[0]?.message).toContain('6 entries');
    expect(error.issues[0]?.path).toEqual(['models', 'fast', 'options', 'metadata']);
  });

  it('maps OpenRouter routing to its wire names; Vercel routing goes as written', () => {
    const table = compile(`upstreams:
  or:
    gateway: openrouter
    model: openai/gpt-4o
    options:
      routing:
        order: [openai, azure]
        allowFallbacks: false
        requireParameters: true
        dataCollection: deny
        zdr: true
        sort: price
        quantizations: [fp8]
  vc:
    gateway: vercel
    model: openai/gpt-4o
    options:
      routing: { order: [bedrock], only: [bedrock, anthropic], models: [openai/gpt-4o-mini], sort: cost }
models:
  fast: { targets: [or, vc] }
`);
    const openrouter = table.upstreams['or']?.options.routing ?? {};
    expect(routingForWire('openrouter', openrouter)).toEqual({
      order: ['openai', 'azure'],
      allow_fallbacks: false,
      require_parameters: true,
      data_collection: 'deny',
      zdr: true,
      sort: 'price',
      quantizations: ['fp8'],
    });
    const vercel = table.upstreams['vc']?.options.routing ?? {};
    expect(routingForWire('vercel', vercel)).toEqual({
      order: ['bedrock'],
      only: ['bedrock', 'anthropic'],
      models: ['openai/gpt-4o-mini'],
      sort: 'cost',
    });
    // Keys a gateway type does not support are left out of its wire form.
    expect(routingForWire('vercel', { allowFallbacks: false, order: ['a'] })).toEqual({
      order: ['a'],
    });
    expect(routingForWire('cloudflare', { order: ['a'] })).toEqual({});
  });

  it("checks routing.sort against each gateway type's values (Vercel: cost, ttft, tps)", () => {
    const issues = issuesOf(`upstreams:
  vc:
    gateway: vercel
    model: openai/gpt-4o
    options: { routing: { sort: latency } }
models:
  fast: vc
`);
    expect(issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['INVALID_VALUE', 'upstreams.vc.options.routing.sort'],
    ]);
    expect(issues[0]?.message).toContain('vercel (cost, ttft, tps)');
    // A mixed alias: the value reaches only the gateway type it belongs to.
    const table = compile(`models:
  mixed:
    targets: ["vercel:openai/gpt-4o", "openrouter:openai/gpt-4o"]
    options: { routing: { sort: ttft } }
`);
    const routing = table.aliases['mixed']?.options.routing ?? {};
    expect(routingForWire('vercel', routing)).toEqual({ sort: 'ttft' });
    expect(routingForWire('openrouter', routing)).toEqual({});
  });

  it('rejects a Vercel gateway sort outside cost, ttft, tps in the schema', () => {
    expect(() =>
      parseConfig(
        'version: 1\ngateways:\n  v: { type: vercel, apiKey: k, options: { routing: { sort: fastest } } }\n',
        { env: {} },
      ),
    ).toThrow(/sort/);
  });
});

describe('compileConfig', () => {
  it('compiles a config built in code, and returns issues instead of throwing', () => {
    const config: SwitchyardConfig = {
      version: 1,
      gateways: { local: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1' } },
      upstreams: { a: { gateway: 'local', model: 'a' } },
      models: { fast: { targets: ['a', 'missing'] }, slow: 'a' },
    };
    const failed = compileConfig({ config });
    expect(failed.ok).toBe(false);
    if (!failed.ok) {
      expect(failed.issues.map((issue) => [issue.code, issue.path])).toEqual([
        ['UNKNOWN_REFERENCE', ['models', 'fast', 'targets', 1]],
      ]);
    }
    const compiled = compileConfig({
      config: { ...config, models: { slow: 'a' } },
      source: 'code',
    });
    expect(compiled.ok && compiled.table.source).toBe('code');
    expect(compiled.ok && compiled.table.aliases['slow']?.targets).toEqual(['a']);
  });
});
