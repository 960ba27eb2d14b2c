/**
 * No configured secret ever appears in a table dump or in a config error: not in the message,
 * the excerpts, the issues, JSON or `util.inspect` output, even when the error sits on the
 * secret's own line.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type ConfigError, parseConfig, Secret } from '../../src/index.ts';
import { catchConfigError } from './helpers.ts';

const sentinels = [
  'SENTINEL-API-KEY-7f3a',
  'SENTINEL-TOKEN-91c2',
  'SENTINEL-OPENAI-5d0e',
  'SENTINEL-GROQ-b812',
  'SENTINEL-HEADER-44aa',
  'SENTINEL-ENV-0c9d',
];

/** Everything an error can be printed as. */
function renderings(error: ConfigError): string[] {
  return [
    error.message,
    String(error),
    error.stack ?? '',
    JSON.stringify(error),
    JSON.stringify(error.issues),
    String(error.issues),
    error.issues.map((issue) => `${issue.message} ${issue.path.join('.')}`).join('\n'),
    inspect(error, { depth: 10 }),
  ];
}

function expectNoSentinel(texts: readonly string[]): void {
  for (const text of texts) {
    for (const sentinel of sentinels) {
      expect(text).not.toContain(sentinel);
      // Nor a recognisable part of one.
      expect(text).not.toContain(sentinel.slice(0, 14));
    }
  }
}

const validText = `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth:
      token: ${sentinels[1]}
      keys: { openai: ${sentinels[2]}, groq: "${sentinels[3]}" }
    headers:
      x-team-secret: ${sentinels[4]}
  openrouter:
    type: openrouter
    apiKey: ${sentinels[0]}
    headers: { x-env: "\${FROM_ENV}" }
models:
  fast: { targets: ["edge:openai/gpt-4o", "edge:groq/llama", "openrouter:openai/gpt-4o"] }
`;

describe('secrets in the route table', () => {
  const table = parseConfig(validText, { env: { FROM_ENV: sentinels[5] as string } });

  it('wraps every credential in a Secret that reveals its value only on request', () => {
    const edge = table.gateways['edge'];
    expect(edge?.auth.mode).toBe('provider-keys+token');
    if (edge?.auth.mode !== 'provider-keys+token') return;
    expect(edge.auth.token).toBeInstanceOf(Secret);
    expect(edge.auth.token.reveal()).toBe(sentinels[1]);
    expect(edge.auth.keys['openai']?.reveal()).toBe(sentinels[2]);
    expect(edge.auth.keys['groq']?.reveal()).toBe(sentinels[3]);
    const header = edge.headers['x-team-secret'];
    expect(header).toBeInstanceOf(Secret);
    expect((header as Secret).reveal()).toBe(sentinels[4]);
    const fromEnv = table.gateways['openrouter']?.headers['x-env'] as Secret;
    expect(fromEnv.reveal()).toBe(sentinels[5]);
  });

  it('prints no secret through JSON, util.inspect, String or template literals', () => {
    const auth = table.gateways['openrouter']?.auth;
    const apiKey = auth?.mode === 'bearer' ? auth.apiKey : undefined;
    const texts = [
      JSON.stringify(table),
      JSON.stringify(table, null, 2),
      inspect(table, { depth: 10 }),
      inspect(table, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      String(apiKey),
      `${apiKey}`,
      JSON.stringify({ apiKey }),
    ];
    expectNoSentinel(texts);
    expect(texts[0]).toContain('[redacted]');
    expect(texts[2]).toContain('Secret([redacted])');
  });
});

/** Each case puts an error on the line that holds `sentinel`. */
const errorCases: [name: string, text: string][] = [
  [
    'misspelt credential key',
    `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKye: ${sentinels[0]}
models:
  fast: openrouter:x
`,
  ],
  [
    'misspelt key with a quoted secret',
    `version: 1
gateways:
  openrouter: { type: openrouter, apiKey: k, tokn: "${sentinels[1]}" }
models:
  fast: openrouter:x
`,
  ],
  [
    'wrong type next to provider keys on one line',
    `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth: { token: ${sentinels[1]}, keys: { openai: ${sentinels[2]}, Groq: ${sentinels[3]} } }
models:
  fast: edge:openai/x
`,
  ],
  [
    'credential header',
    `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: k
    headers: { Authorization: "Bearer ${sentinels[4]}", x-ok: ${sentinels[0]} }
models:
  fast: openrouter:x
`,
  ],
  [
    'YAML syntax error on the apiKey line',
    `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: ${sentinels[0]}: oops
models:
  fast: openrouter:x
`,
  ],
  [
    'YAML syntax error on a header line',
    `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: k
    headers:
      x-team: ${sentinels[4]}: oops
models:
  fast: openrouter:x
`,
  ],
  [
    'YAML syntax error in a flow map of keys',
    `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth: { keys: { openai: ${sentinels[2]}, groq: [${sentinels[3]} } }
models:
  fast: edge:openai/x
`,
  ],
  [
    'duplicate credential key',
    `version: 1
gateways:
  openrouter: { type: openrouter, apiKey: ${sentinels[0]}, apiKey: ${sentinels[1]} }
models:
  fast: openrouter:x
`,
  ],
  [
    'unknown tag on a secret',
    `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: !secret ${sentinels[0]}
models:
  fast: openrouter:x
`,
  ],
  [
    'missing variable next to a literal secret',
    `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth: { keys: { openai: "\${MISSING}", groq: ${sentinels[3]} } }
models:
  fast: edge:openai/x
`,
  ],
  [
    'malformed variable inside a secret',
    `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: "${sentinels[0]}\${oops"
models:
  fast: openrouter:x
`,
  ],
  [
    'stored keys without a token, token misspelt',
    `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    auth: { tokne: ${sentinels[1]}, keys: stored }
models:
  fast: edge:openai/x
`,
  ],
  [
    'credentials in a baseURL',
    `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "https://user:${sentinels[0]}@proxy.example.com/v1" }
models:
  fast: local:x
`,
  ],
  [
    'a key in a baseURL query',
    `version: 1
gateways:
  local: { type: openai-compatible, baseURL: "https://proxy.example.com/v1?key=${sentinels[0]}" }
models:
  fast: local:x
`,
  ],
  [
    'an unknown top-level key holding a secret',
    `version: 1
secret: ${sentinels[0]}
gateways:
  local: { type: openai-compatible, baseURL: "http://127.0.0.1:1/v1" }
models:
  fast: local:x
`,
  ],
];

describe('secrets in config errors', () => {
  it.each(errorCases)('%s', (_name, text) => {
    const error = catchConfigError(() => parseConfig(text, { env: {} }));
    // The error really is on a line that holds a secret, so its excerpt had one to blank.
    const secretLines = text
      .split('\n')
      .flatMap((line, index) => (sentinels.some((s) => line.includes(s)) ? [index + 1] : []));
    expect(error.issues.some((issue) => secretLines.includes(issue.line ?? -1))).toBe(true);
    expect(error.message).toContain('<redacted>');
    expectNoSentinel(renderings(error));
  });

  it('shows ${VAR} templates, never the values they expand to', () => {
    const text = `version: 1
gateways:
  openrouter:
    type: openrouter
    apiKey: \${OPENROUTER_API_KEY}
    headers: { x-team: "\${TEAM}", x-other: "\${UNSET}" }
    optoins: {}
models:
  fast: openrouter:x
`;
    const error = catchConfigError(() =>
      parseConfig(text, {
        env: { OPENROUTER_API_KEY: sentinels[5] as string, TEAM: sentinels[4] as string },
      }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual([
      'ENV_VAR_MISSING',
      'SCHEMA_UNKNOWN_KEY',
    ]);
    expectNoSentinel(renderings(error));
  });

  it('never echoes a value that failed validation', () => {
    const text = `version: 1
gateways:
  edge:
    type: cloudflare
    accountId: \${ACCOUNT}
    gatewayId: gw
    auth: { keys: { openai: k } }
models:
  fast: edge:openai/x
`;
    const error = catchConfigError(() =>
      parseConfig(text, { env: { ACCOUNT: `${sentinels[5]} not/an/id` } }),
    );
    expect(error.issues.map((issue) => issue.code)).toEqual(['SCHEMA_VIOLATION']);
    expectNoSentinel(renderings(error));
  });
});
