/** The config's `health` section: where health memory lives. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/index.ts';
import { catchConfigError } from './helpers.ts';

const base = `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: http://127.0.0.1:9/v1 }
models:
  chat: local:some-model
`;

describe('health', () => {
  it('is absent by default (memory in each process)', () => {
    expect(parseConfig(base).health).toBeUndefined();
  });

  it('compiles store: redis with the URL as a secret and the default prefix', () => {
    const table = parseConfig(`${base}health: { store: redis, url: "\${REDIS_URL}" }\n`, {
      env: { REDIS_URL: 'redis://:hunter2-pass@127.0.0.1:6379/2' },
    });
    expect(table.health?.store).toBe('redis');
    if (table.health?.store !== 'redis') return;
    expect(table.health.prefix).toBe('switchyard');
    expect(table.health.url.reveal()).toBe('redis://:hunter2-pass@127.0.0.1:6379/2');
    expect(JSON.stringify(table)).not.toContain('hunter2-pass');
  });

  it('lets store: memory keep a url, so one file can switch through ${HEALTH_STORE}', () => {
    const text = `${base}health: { store: "\${HEALTH_STORE:-memory}", url: redis://127.0.0.1:6379, prefix: app }\n`;
    expect(parseConfig(text).health).toEqual({ store: 'memory' });
    expect(parseConfig(text, { env: { HEALTH_STORE: 'redis' } }).health).toMatchObject({
      store: 'redis',
      prefix: 'app',
    });
  });

  it('rejects store: redis without a url, an unknown store and a URL that is not redis://', () => {
    const missing = catchConfigError(() => parseConfig(`${base}health: { store: redis }\n`));
    expect(missing.issues.map((issue) => issue.message)).toEqual([
      'store: redis needs a url, e.g. url: ${REDIS_URL} (redis://host:6379)',
    ]);
    const wrong = catchConfigError(() =>
      parseConfig(`${base}health: { store: memcached, url: http://127.0.0.1:6379 }\n`),
    );
    expect(wrong.issues.map((issue) => issue.path.join('.'))).toEqual([
      'health.store',
      'health.url',
    ]);
    expect(wrong.message).toContain('memory or redis');
    expect(wrong.message).toContain('a redis:// or rediss:// URL');
  });
});
