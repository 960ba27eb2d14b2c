import { describe, expect, it } from 'vitest';
import { formatRequestLine } from '../../src/cli/serve-command.ts';
import { parseServeFlags, ServeUsageError, serveKeysVariable } from '../../src/cli/serve-flags.ts';
import {
  defaultMaxBodyBytes,
  defaultMaxBodyBytesInFlight,
} from '../../src/serve/create-handler.ts';

describe('parseServeFlags', () => {
  it('applies the defaults', () => {
    expect(parseServeFlags({ args: [], env: {} })).toEqual({
      config: undefined,
      port: 4000,
      host: '127.0.0.1',
      watch: false,
      maxBodyBytes: defaultMaxBodyBytes,
      graceMs: 10_000,
      quiet: false,
      envKeys: [],
      maxSize: undefined,
      common: {
        config: undefined,
        'env-file': undefined,
        'allow-missing-env': undefined,
        'max-size': undefined,
      },
      maxBodyBytesInFlight: defaultMaxBodyBytesInFlight,
      connections: {},
      logFormat: 'text',
    });
  });

  it('reads the connection limits and the log format', () => {
    const flags = parseServeFlags({
      args: [
        ...['--max-connections', '50', '--headers-timeout', '5s', '--request-timeout', '30s'],
        ...['--keep-alive-timeout', '2000', '--max-body-in-flight', '1000', '--log-format', 'json'],
      ],
      env: {},
    });
    expect(flags).toMatchObject({
      connections: {
        maxConnections: 50,
        headersTimeoutMs: 5_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 2_000,
      },
      maxBodyBytesInFlight: 1_000,
      logFormat: 'json',
    });
  });

  it('reads every flag, a bare number of ms included, and trims the keys of the variable', () => {
    const flags = parseServeFlags({
      args: [
        ...['-c', 'x.yaml', '-p', '0', '--host', '0.0.0.0', '--watch', '--quiet'],
        ...['--max-body', '10', '--shutdown-timeout', '250'],
      ],
      env: { [serveKeysVariable]: ' a , ,b ' },
    });
    expect(flags).toMatchObject({
      config: 'x.yaml',
      port: 0,
      host: '0.0.0.0',
      watch: true,
      quiet: true,
      maxBodyBytes: 10,
      graceMs: 250,
      envKeys: ['a', 'b'],
    });
    expect(parseServeFlags({ args: ['--shutdown-timeout', '1.5s'], env: {} }).graceMs).toBe(1500);
  });

  it.each([
    [['--port', '65536'], '--port must be a port number'],
    [['--port', 'http'], '--port must be a port number'],
    [['--max-body', '0'], '--max-body must be a whole number'],
    [['--shutdown-timeout', 'soon'], '--shutdown-timeout must be a duration'],
    [['--headers-timeout', '0'], '--headers-timeout must be a duration'],
    [['--max-connections', '1.5'], '--max-connections must be a whole number above 0'],
    [['--log-format', 'xml'], '--log-format must be text or json'],
  ])('refuses %j', (args, message) => {
    expect(() => parseServeFlags({ args, env: {} })).toThrow(ServeUsageError);
    expect(() => parseServeFlags({ args, env: {} })).toThrow(message);
  });
});

describe('formatRequestLine', () => {
  it('names the route and counts attempts in words', () => {
    const base = {
      method: 'POST',
      path: '/v1/chat/completions',
      status: 200,
      stream: false,
      durationMs: 12.4,
    };
    expect(formatRequestLine({ ...base, model: 'fast', upstream: 'cf-mini', attempts: 1 })).toBe(
      'POST /v1/chat/completions fast → 200 via cf-mini (1 attempt) 12 ms',
    );
    expect(
      formatRequestLine({ ...base, model: 'fast', upstream: 'cf-mini', attempts: 3, stream: true }),
    ).toBe('POST /v1/chat/completions fast → 200 via cf-mini (3 attempts) stream 12 ms');
    expect(formatRequestLine({ ...base, status: 401, errorCode: 'invalid_api_key' })).toBe(
      'POST /v1/chat/completions → 401 invalid_api_key 12 ms',
    );
  });
});
