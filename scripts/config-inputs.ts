/**
 * Config texts for measuring what loading costs: a large real config written the way
 * `config.example.yaml` writes its aliases, and the hostile shapes that cost most per byte
 * (unknown keys, chains and cycles through every alias, alias bombs, deep nesting), each grown
 * to a given size. Used by `scripts/measure-config-limits.ts` and by the tests that bound the
 * cost per byte.
 */

/** The gateways and upstreams every generated config starts with (no secrets: `${VAR}`). */
const header = `version: 1
gateways:
  cloudflare:
    type: cloudflare
    accountId: \${CLOUDFLARE_ACCOUNT_ID}
    gatewayId: \${CLOUDFLARE_GATEWAY_ID:-switchyard}
    auth:
      token: \${CLOUDFLARE_AIG_TOKEN}
      keys:
        groq: \${GROQ_API_KEY}
        openai: \${OPENAI_API_KEY}
  openrouter:
    type: openrouter
    apiKey: \${OPENROUTER_API_KEY}
upstreams:
`;

/** The variables {@link largeConfig} needs. */
export const largeConfigEnv: Readonly<Record<string, string>> = Object.freeze({
  CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
  CLOUDFLARE_AIG_TOKEN: 'cf-token-large-config',
  GROQ_API_KEY: 'gsk-large-config',
  OPENAI_API_KEY: 'sk-large-config',
  OPENROUTER_API_KEY: 'sk-or-large-config',
});

/**
 * A config of `aliases` aliases in `config.example.yaml`'s style: each alias has its own
 * upstream (alternately a Cloudflare one with params and an OpenRouter one with options, as in
 * the example) and a block-style alias with a commented fallback chain (its upstream, then the
 * next alias's), retry and timeout, as in the example's `fast` alias; every fourth alias is
 * written like the example's `support` alias (timeouts, policy, options, params). The schema
 * allows up to 1,000 upstreams, so at most 1,000 aliases.
 */
export function largeConfig(aliases: number): string {
  const upstreams: string[] = [];
  const models: string[] = [];
  const upstream = (index: number) => `${index % 2 === 0 ? 'llama-groq' : 'gpt-mini-or'}-${index}`;
  for (let index = 0; index < aliases; index++) {
    upstreams.push(
      index % 2 === 0
        ? `  ${upstream(index)}:
    gateway: cloudflare
    model: groq/llama-3.3-70b-versatile # provider "groq": needs auth.keys.groq on a keys gateway
    params: { temperature: 0.3 } # body fields under each request's own (the request wins)
`
        : `  ${upstream(index)}:
    gateway: openrouter
    model: openai/gpt-4o-mini
    options:
      routing: { sort: latency } # overrides the gateway's routing.sort for this model
`,
    );
    const targets = `[${upstream(index)}, ${upstream((index + 1) % aliases)}]`;
    if (index % 4 === 3) {
      models.push(`  support-${index}:
    targets: ${targets}
    timeout:
      total: 45s # the whole call (for streams: until the first content chunk)
      attempt: 15s # one request to one target
      firstToken: 5s # streams: move on if no content arrives within 5s
      idle: 10s # streams: the longest gap between chunks
    policy: # overrides defaults.policy for this alias
      content_filter: fallback # try the next target when a provider's filter refuses
      context_length: fallback # a larger-context target may take it
    options: # applied to each target where they apply
      eventId: support-bot-${index} # Cloudflare targets: cf-aig-event-id
      metadata: { feature: support } # merged with the gateway's and upstream's metadata
    params: { max_tokens: 800, temperature: 0.2 }
`);
    } else {
      models.push(`  fast-${index}:
    targets: ${targets} # tried in order
    retry:
      attempts: 3 # requests per target, the first included: 1 never retries
      initialDelay: 100ms
      maxDelay: 2.5s # also the longest Retry-After honoured; a longer one moves on at once
    timeout: 20s # one deadline for the whole call: retries and fallbacks included
`);
    }
  }
  return `${header}${upstreams.join('')}models:\n${models.join('')}`;
}

/** The largest text `make(count)` gives that is at most `size` characters long. */
function grow(size: number, make: (count: number) => string): string {
  let count = 1;
  while (make(count * 2).length <= size) count *= 2;
  for (let step = count >> 1; step >= 1; step >>= 1) {
    if (make(count + step).length <= size) count += step;
  }
  return make(count);
}

const lines = (count: number, line: (index: number) => string) =>
  Array.from({ length: count }, (_, index) => line(index)).join('\n');

const smallHeader = `version: 1
gateways:
  g: { type: openai-compatible, baseURL: "http://127.0.0.1:9/v1", apiKey: "\${OPENAI_API_KEY}" }
upstreams:
  u: { gateway: g, model: m }
`;

/** Options of {@link hostileConfigs}. */
export type HostileConfigsOptions = {
  /** Each text is as long as this (or a little shorter), in characters. */
  size: number;
  /** The nesting limit: the deep inputs nest just within it. */
  maxDepth: number;
  /** The alias limit: the alias bombs expand just within it. */
  maxAliasCount: number;
  /** The collection limit: the deep inputs open just as many lists, the rest is unknown keys. */
  maxCollections: number;
};

/**
 * The shapes that cost most per byte, each close to `size` characters: many problems, long
 * reference chains and cycles, alias bombs and deep nesting within the limits (the worst a
 * limit lets through), wide flows and long lines.
 */
export function hostileConfigs(options: HostileConfigsOptions): Record<string, string> {
  const { size, maxDepth, maxAliasCount, maxCollections } = options;
  return {
    'unknown keys': grow(size, (n) => `version: 1\n${lines(n, (i) => `k${i}: v`)}\n`),
    'unknown keys in one map': grow(
      size,
      (n) => `version: 1\nx:\n${lines(n, (i) => `  k${i}: v`)}\n`,
    ),
    'unknown targets': grow(
      size,
      (n) => `${smallHeader}models:\n${lines(n, (i) => `  a${i}: { targets: [no${i}] }`)}\n`,
    ),
    'a chain of aliases': grow(
      size,
      (n) =>
        `${smallHeader}models:\n${lines(n, (i) => `  a${i}: { targets: [${i + 1 < n ? `a${i + 1}` : 'u'}] }`)}\n`,
    ),
    'a cycle through every alias': grow(
      size,
      (n) =>
        `${smallHeader}models:\n${lines(n, (i) => `  a${i}: { targets: [a${(i + 1) % n}] }`)}\n`,
    ),
    'hostile header values': grow(
      size,
      (n) =>
        `version: 1\ngateways:\n  g:\n    type: openai-compatible\n    baseURL: "http://127.0.0.1:9/v1"\n    apiKey: k\n    headers:\n${lines(n, (i) => `      x-h${i}: "a\\u0000b\\r\\n"`)}\n`,
    ),
    'a long line': grow(size, (n) => `version: 1\nx: "${'x'.repeat(n)}"\n`),
    'wide flow sequences': grow(size, (n) => `version: 1\nx: [${lines(n, (i) => `${i},`)} 0]\n`),
    'deep nesting, many times': (() => {
      const depth = maxDepth - 2;
      const nest = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
      // As many nested lines as fit in the size and the collection limit, then unknown keys.
      const fit = Math.floor((size - 16) / (nest.length + 10));
      const count = Math.min(fit, Math.floor(maxCollections / depth));
      return padded(size, { head: `version: 1\n${lines(count, (i) => `k${i}: ${nest}`)}\n` });
    })(),
    'alias bomb within the limit': aliasBomb({ size, maxAliasCount }),
    'as many aliases as the limit allows': padded(size, {
      // Each use is 4 characters: as many as the limit allows, or as fit.
      head: `version: 1\nv: &v x\nuses: [${Array.from({ length: Math.min(maxAliasCount, Math.floor((size - 64) / 4)) }, () => '*v').join(', ')}]\n`,
    }),
  };
}

/** `head`, then unknown keys up to `size` characters (their cost is per byte, as measured). */
function padded(size: number, options: { head: string }): string {
  return grow(size, (n) => `${options.head}${lines(n, (i) => `p${i}: v`)}\n`);
}

/**
 * Layers of lists each naming the layer below ten times (the billion laughs), as many as fit in
 * the alias limit (counted as parseConfig counts: the nodes aliases add), the top layer then used
 * as often as the limit allows, and the rest of `size` filled with unknown keys.
 */
function aliasBomb(options: { size: number; maxAliasCount: number }): string {
  const { size, maxAliasCount } = options;
  const layers = ['l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  let layerSize = 11;
  let added = 0;
  while (added + 10 * layerSize <= maxAliasCount / 2) {
    const level = layers.length;
    layers.push(
      `l${level}: &l${level} [${Array.from({ length: 10 }, () => `*l${level - 1}`).join(', ')}]`,
    );
    added += 10 * layerSize;
    layerSize = 1 + 10 * layerSize;
  }
  const top = `l${layers.length - 1}`;
  const uses = Math.floor((maxAliasCount - added) / layerSize);
  const head = `version: 1\n${layers.join('\n')}\nuses: [${Array.from({ length: uses }, () => `*${top}`).join(', ')}]\n`;
  return padded(size, { head });
}
