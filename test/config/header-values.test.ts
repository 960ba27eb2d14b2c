/**
 * Header values and credentials that `fetch` refuses are load errors with a position, not a
 * config that loads and then fails every call inside `fetch` ("invalid header value"). For a
 * `${VAR}` value the message names the variable and points at its use; it never shows the value.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/index.ts';
import { catchConfigError, where } from './helpers.ts';

const upstreams = 'upstreams:\n  u: { gateway: g, model: openai/m }\nmodels:\n  a: u\n';

function local(gateway: string): string {
  return `version: 1\ngateways:\n  g:\n    type: openai-compatible\n    baseURL: http://127.0.0.1:9/v1\n${gateway}\n${upstreams}`;
}

const secret = 'sk-HEADER-secret-3b7d';

describe('values fetch refuses in a header', () => {
  // The premise, checked against this runtime's own fetch: each of these is refused.
  it.each([
    ['a line feed', `${secret}\nx`],
    ['a carriage return', `${secret}\rx`],
    ['a NUL', `${secret}\u0000`],
    ['a character outside Latin-1', `${secret}\u2603`],
  ])('%s is refused by fetch, and so by the loader', (_name, value) => {
    expect(() => new Headers({ 'x-a': value })).toThrow(TypeError);
    const error = catchConfigError(() =>
      parseConfig(local('    apiKey: ${KEY}\n    headers: { x-tenant: "${TENANT}" }'), {
        env: { KEY: value, TENANT: value },
      }),
    );
    expect(error.issues.map(where)).toEqual([
      { code: 'INVALID_VALUE', line: 6, column: 13 },
      { code: 'INVALID_VALUE', line: 7, column: 26 },
    ]);
    expect(error.issues[0]?.message).toContain('apiKey');
    expect(error.issues[0]?.message).toContain('(the value comes from ${KEY})');
    expect(error.issues[1]?.message).toContain('header "x-tenant"');
    expect(error.issues[1]?.message).toContain('${TENANT}');
    expect(error.message).not.toContain(secret);
  });

  it('reports a literal value at its position, without quoting it', () => {
    const error = catchConfigError(() =>
      parseConfig(local(`    headers: { x-team: "caf\u00e9 \u2615" }`), { env: {} }),
    );
    expect(error.issues.map(where)).toEqual([{ code: 'INVALID_VALUE', line: 6, column: 24 }]);
    expect(error.issues[0]?.message).toContain('outside Latin-1');
    expect(error.issues[0]?.message).not.toContain('(the value comes from');
  });

  it('checks every Cloudflare credential: the gateway token and each provider key', () => {
    const error = catchConfigError(() =>
      parseConfig(
        `version: 1
gateways:
  g:
    type: cloudflare
    accountId: a
    gatewayId: b
    auth: { token: "\${TOKEN}", keys: { openai: "\${OPENAI}" } }
${upstreams}`,
        { env: { TOKEN: `${secret}\r\nx`, OPENAI: `${secret}\u0000` } },
      ),
    );
    expect(error.issues.map((issue) => issue.path.join('.'))).toEqual([
      'gateways.g.auth.token',
      'gateways.g.auth.keys.openai',
    ]);
    expect(error.issues[0]?.message).toContain('${TOKEN}');
    expect(error.issues[1]?.message).toContain('${OPENAI}');
    expect(error.message).not.toContain(secret);
  });

  it('checks options sent as headers; metadata is JSON-encoded, so only non-Latin-1 text fails', () => {
    const cloudflare = (options: string) =>
      `version: 1
gateways:
  g:
    type: cloudflare
    accountId: a
    gatewayId: b
    auth: { keys: { openai: k-1234 } }
    options: ${options}
${upstreams}`;
    const error = catchConfigError(() =>
      parseConfig(cloudflare('{ cacheKey: "a\\nb", metadata: { team: "\u2603" } }'), { env: {} }),
    );
    expect(error.issues.map((issue) => issue.path.join('.'))).toEqual([
      'gateways.g.options.cacheKey',
      'gateways.g.options.metadata.team',
    ]);
    // A line break inside metadata is escaped by JSON, so fetch accepts it.
    expect(() =>
      parseConfig(cloudflare('{ metadata: { team: "a\\nb" } }'), { env: {} }),
    ).not.toThrow();
  });

  it('accepts a trailing newline, which fetch strips (a key read from a file)', () => {
    expect(new Headers({ 'x-a': `${secret}\n` }).get('x-a')).toBe(secret);
    expect(() =>
      parseConfig(local('    apiKey: ${KEY}'), { env: { KEY: `${secret}\r\n` } }),
    ).not.toThrow();
  });

  it('accepts Latin-1 text and tabs, which fetch sends', () => {
    expect(() =>
      parseConfig(local('    headers: { x-team: "caf\u00e9\tbar" }'), { env: {} }),
    ).not.toThrow();
  });
});
