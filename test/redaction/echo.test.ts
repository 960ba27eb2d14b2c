/**
 * A hostile upstream that echoes every credential it receives in every place a response can carry
 * one: the error body's `message`, `param`, `code` and `type`; the headers the SDK keeps on an
 * `APIError` (`www-authenticate`, `location`, a custom one) and the ids the router records
 * (`x-request-id`, `cf-aig-*`), on failures and successes alike; SSE error events before the
 * first content chunk and after it. Nothing the caller can see may contain a sentinel: errors in
 * every rendering (fields, `util.inspect`, JSON, the cause chain), hook states, attempt logs,
 * `withResponse()`'s request id, plans, the SDK's debug log and the CLI's output.
 *
 * Not modelled on one gateway: OpenAI does echo a (masked) key in its 401 message ("Incorrect
 * API key provided", https://platform.openai.com/docs/guides/error-codes), and proxies in front
 * of gateways echo more; the SDK turns an SSE `error` event into an `APIError` carrying the
 * response headers (openai-node src/core/streaming.ts, `Stream.fromSSEResponse`). The server is
 * a plain node:http server on loopback.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import { createRouter, parseConfig, type Router, type RouterOptions } from '../../src/index.ts';
import { render } from './exercise.ts';

const sentinels = Object.freeze({
  apiKey: 'sk-ECHO-api-key-5f2c81d7',
  cfToken: 'ECHO-cf-token-91ab33e0',
  cfKey: 'sk-ECHO-cf-provider-key-7d4e02',
  header: 'ECHO-custom-header-value-c3a9f6',
  // A secret that contains another: blanked whole, never leaving a tail.
  outer: 'ECHO-prefix-secret-and-more-0b5d',
  inner: 'ECHO-prefix-secret',
});

function leaks(text: string): string[] {
  return Object.entries(sentinels)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

/** Every credential-looking header value of a request, joined. */
function credentialsOf(request: IncomingMessage): string {
  return ['authorization', 'cf-aig-authorization', 'x-tenant', 'x-outer', 'x-inner']
    .map((name) => String(request.headers[name] ?? ''))
    .join(' | ');
}

/** Everything the upstream echoed, as it sent it (the proof that it echoed each sentinel). */
const echoed: string[] = [];

/** The echoing upstream; the model name picks the behaviour. */
function handle(request: IncomingMessage, response: ServerResponse, body: string): void {
  const echo = credentialsOf(request).replace(/[^\x20-\x7e]/g, '?');
  echoed.push(echo);
  const model = (JSON.parse(body || '{}') as { model?: string }).model ?? '';
  const echoHeaders = {
    'x-request-id': `req ${echo}`,
    'cf-aig-log-id': `log ${echo}`,
    'cf-aig-step': echo,
    'x-vercel-id': echo,
    'www-authenticate': `Bearer realm="${echo}"`,
    'x-echo': echo,
  };
  const errorBody = JSON.stringify({
    error: { message: `Incorrect API key provided: ${echo}`, type: echo, param: echo, code: echo },
  });
  const sse = (events: unknown[]) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', ...echoHeaders });
    for (const event of events) response.write(`data: ${JSON.stringify(event)}\n\n`);
    response.end();
  };
  const chunk = (content: string, finish: string | null = null) => ({
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: [{ index: 0, delta: { content }, finish_reason: finish }],
  });
  const streamError = { error: { message: `stream failed for ${echo}`, type: echo, code: echo } };
  if (model.includes('status-')) {
    const status = Number(model.slice(model.indexOf('status-') + 7));
    response.writeHead(status, {
      'content-type': 'application/json',
      location: `http://127.0.0.1:9/${encodeURIComponent(echo)}`,
      ...echoHeaders,
    });
    response.end(errorBody);
  } else if (model.includes('stream-error-before')) {
    sse([streamError]);
  } else if (model.includes('stream-error-after')) {
    sse([chunk('partial '), streamError]);
  } else if (model.includes('stream-ok')) {
    sse([chunk('hello'), chunk('', 'stop')]);
    // no [DONE]: the finish reason ends it honestly
  } else {
    response.writeHead(200, { 'content-type': 'application/json', ...echoHeaders });
    response.end(
      JSON.stringify({
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
        ],
      }),
    );
  }
}

let server: Server;
let url: string;
let directory: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => {
      body += data.toString();
    });
    request.on('end', () => handle(request, response, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  directory = mkdtempSync(join(tmpdir(), 'switchyard-echo-'));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

function configText(): string {
  return `version: 1
gateways:
  plain:
    type: openai-compatible
    baseURL: ${url}/v1
    apiKey: \${API_KEY}
    headers: { x-tenant: "\${HEADER}", x-outer: "\${OUTER}", x-inner: "\${INNER}" }
  cf:
    type: cloudflare
    accountId: acct
    gatewayId: gw
    baseURL: ${url}
    auth: { token: "\${CF_TOKEN}", keys: { openai: "\${CF_KEY}" } }
upstreams:
  ok: { gateway: plain, model: ok }
  cf-ok: { gateway: cf, model: openai/ok }
  s401: { gateway: plain, model: status-401 }
  s500: { gateway: plain, model: status-500 }
  s429: { gateway: plain, model: status-429 }
  cf401: { gateway: cf, model: openai/status-401 }
  cf500: { gateway: cf, model: openai/status-500 }
  before: { gateway: plain, model: stream-error-before }
  after: { gateway: plain, model: stream-error-after }
  cf-after: { gateway: cf, model: openai/stream-error-after }
  stream-ok: { gateway: plain, model: stream-ok }
models:
  ok: ok
  cf-ok: cf-ok
  failing: { targets: [s500, s429, cf500, s401, cf401], retry: { attempts: 2, initialDelay: 1ms, maxDelay: 2ms } }
  recovered: { targets: [s500, cf401, ok], retry: { attempts: 1 } }
  stream-before: { targets: [before, stream-ok], retry: { attempts: 1 } }
  stream-after: { targets: [after], retry: { attempts: 1 } }
  cf-stream-after: { targets: [cf-after], retry: { attempts: 1 } }
`;
}

const env = () => ({
  API_KEY: sentinels.apiKey,
  HEADER: sentinels.header,
  OUTER: sentinels.outer,
  INNER: sentinels.inner,
  CF_TOKEN: sentinels.cfToken,
  CF_KEY: sentinels.cfKey,
});

const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

describe('an upstream that echoes every credential everywhere', () => {
  it('shows none of them in errors, hooks, attempt logs, request ids, plans or the SDK log', async () => {
    const seen: { label: string; text: string }[] = [];
    const keep = (label: string, value: unknown) => seen.push({ label, text: render(value) });
    const hooks: RouterOptions = {
      onAttempt: (state) => keep('onAttempt', state),
      onRetry: (state) => keep('onRetry', state),
      onFallback: (state) => keep('onFallback', state),
      onSuccess: (state) => keep('onSuccess', state),
      onFailure: (state) => keep('onFailure', state),
    };
    // The SDK's own debug log, written through the router's logger.
    const logged: unknown[] = [];
    const spies = (['debug', 'info', 'warn', 'error', 'log'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args);
      }),
    );
    const previousLog = process.env['OPENAI_LOG'];
    process.env['OPENAI_LOG'] = 'debug';
    let router: Router | undefined;
    try {
      const live = createRouter(parseConfig(configText(), { env: env() }), hooks);
      router = live;
      const failed = async (label: string, call: () => Promise<unknown>) => {
        try {
          await call();
          keep(`${label} (resolved)`, 'resolved');
        } catch (error) {
          keep(`error ${label}`, error);
          return error;
        }
        return undefined;
      };
      for (const model of ['ok', 'cf-ok', 'recovered']) {
        const result = await router.chat.completions.create(ask(model)).withResponse();
        keep(`route ${model}`, result.route);
        keep(`request_id ${model}`, result.request_id);
        // The raw response the SDK hands out: its headers carried every echo.
        keep(`response ${model}`, {
          headers: [...result.response.headers],
          url: result.response.url,
          status: result.response.status,
        });
        expect(result.response.status).toBe(200);
        expect(result.response.headers.get('x-echo')).toContain('[redacted]');
      }
      const failure = await failed('failing', () => live.chat.completions.create(ask('failing')));
      expect((failure as { code?: string }).code).toBe('ALL_TARGETS_FAILED');
      const before = await router.chat.completions.create({
        ...ask('stream-before'),
        stream: true,
      });
      for await (const chunk of before) keep('chunk', chunk);
      for (const model of ['stream-after', 'cf-stream-after']) {
        const interrupted = await failed(model, async () => {
          const stream = await live.chat.completions.create({ ...ask(model), stream: true });
          for await (const chunk of stream) keep('chunk', chunk);
        });
        expect((interrupted as { code?: string }).code).toBe('STREAM_INTERRUPTED');
      }
      for (const model of router.aliases()) keep(`plan ${model}`, router.resolve(model));
      keep('log', logged);

      // The upstream really echoed every sentinel (so finding none means something).
      expect(leaks(echoed.join('\n')).sort()).toEqual(Object.keys(sentinels).sort());
      const hookLabels = new Set(seen.map((item) => item.label));
      for (const hook of ['onAttempt', 'onRetry', 'onFallback', 'onSuccess', 'onFailure']) {
        expect(hookLabels).toContain(hook);
      }
      expect(logged.length).toBeGreaterThan(0);
      const leaked = seen
        .map((item) => ({ label: item.label, leaks: leaks(item.text) }))
        .filter((item) => item.leaks.length > 0);
      expect(leaked).toEqual([]);
      // The redaction is visible, and the longer secret left no tail behind.
      const all = seen.map((item) => item.text).join('\n');
      expect(all).toContain('[redacted]');
      expect(all).not.toContain('-and-more-0b5d');
    } finally {
      for (const spy of spies) spy.mockRestore();
      if (previousLog === undefined) delete process.env['OPENAI_LOG'];
      else process.env['OPENAI_LOG'] = previousLog;
      await router?.close();
    }
  });

  it('prints none of them from the CLI', async () => {
    const file = join(directory, 'echo.yaml');
    writeFileSync(file, configText());
    let output = '';
    const io = {
      stdout: { write: (text: string) => (output += text) },
      stderr: { write: (text: string) => (output += text) },
      env: { ...env(), NO_COLOR: '1' },
    };
    for (const argv of [
      ['chat', 'failing', 'hello', '--config', file],
      ['chat', 'stream-after', 'hello', '--config', file],
      ['chat', 'ok', 'hello', '--config', file],
      ['plan', 'failing', '--config', file, '--json'],
    ]) {
      await runCli({ argv, io });
    }
    expect(output).toContain('[redacted]');
    expect(leaks(output)).toEqual([]);
  });
});
