/**
 * What clients and operators expect of `switchyard serve`, over real HTTP: the body budget across
 * requests, `models.retrieve`, CORS with preflight, `GET /metrics` in the Prometheus text format
 * (checked by a small parser of the format written here), and log lines a client's `model`
 * cannot forge or colour.
 *
 * Format reference: https://prometheus.io/docs/instrumenting/exposition_formats/ (text format
 * 0.0.4: `# HELP`, `# TYPE`, `name{label="value"} value`; label values escape `\`, `"` and
 * newline; a histogram has cumulative `_bucket{le=...}` series ending with `le="+Inf"`, then
 * `_sum` and `_count`).
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRequestJson, formatRequestLine } from '../../src/cli/serve-command.ts';
import { type ServeStack, startServeStack } from './helpers.ts';

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('the body budget', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack({
      handler: { maxBodyBytes: 2_500, maxBodyBytesInFlight: 3_000 },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('bodies held at once stay within the budget: past it 503, then served again', async () => {
    const encoder = new TextEncoder();
    let feed: ReadableStreamDefaultController<Uint8Array> | undefined;
    const slowBody = new ReadableStream<Uint8Array>({
      start(controller) {
        feed = controller;
        controller.enqueue(
          encoder.encode(
            `{"model":"fast","messages":[{"role":"user","content":"${'x'.repeat(1_900)}`,
          ),
        );
      },
    });
    const first = fetch(`${stack.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: slowBody,
      duplex: 'half',
    } as RequestInit);
    const second = () =>
      fetch(`${stack.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'fast',
          messages: [{ role: 'user', content: 'y'.repeat(1_500) }],
        }),
      });
    // The first body's 1.9 kB are held; 1.5 kB more would pass the 3 kB budget.
    await expect
      .poll(async () => (await second()).status, { interval: 50, timeout: 10_000 })
      .toBe(503);
    const busy = await second();
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('server_busy');
    feed?.enqueue(encoder.encode('"}]}'));
    feed?.close();
    expect((await first).status).toBe(200);
    expect((await second()).status).toBe(200);
  });
});

describe('clients and operators', () => {
  let stack: ServeStack;
  beforeAll(async () => {
    stack = await startServeStack({
      yaml: (url) => `
version: 1
gateways:
  local: { type: openai-compatible, baseURL: "${url}/v1", apiKey: "\${UPSTREAM_KEY}" }
upstreams:
  primary: { gateway: local, model: primary-model }
  backup: { gateway: local, model: backup-model }
models:
  fast: { targets: [primary, backup], retry: { attempts: 1 } }
serve:
  cors: { origins: ["https://app.example.com"] }
`,
      handler: { keys: ['client-key'] },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });
  const client = () => new OpenAI({ apiKey: 'client-key', baseURL: stack.baseURL, maxRetries: 0 });

  it("GET /v1/models/{id} answers the openai client's models.retrieve", async () => {
    const model = await client().models.retrieve('fast');
    expect(model).toMatchObject({ id: 'fast', object: 'model', owned_by: 'switchyard' });
    let error: unknown;
    try {
      await client().models.retrieve('nope');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(404);
    expect((error as APIError).code).toBe('model_not_found');
  });

  it('CORS: an allowed origin gets its headers and a preflight; another origin does not', async () => {
    const preflight = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-stainless-os');
    const call = await fetch(`${stack.baseURL}/models`, {
      headers: { origin: 'https://app.example.com', authorization: 'Bearer client-key' },
    });
    expect(call.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(call.headers.get('access-control-expose-headers')).toContain('x-switchyard-upstream');
    const refused = await fetch(`${stack.baseURL}/models`, {
      headers: { origin: 'https://app.example.com' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const stranger = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    const strangerCall = await fetch(`${stack.baseURL}/models`, {
      headers: { origin: 'https://evil.example', authorization: 'Bearer client-key' },
    });
    expect(strangerCall.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a wrong method gets 405 with Allow', async () => {
    const response = await fetch(`${stack.baseURL}/chat/completions`, {
      method: 'PUT',
      headers: { authorization: 'Bearer client-key' },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('GET /metrics parses as Prometheus text and counts requests, attempts and fallbacks', async () => {
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'status', status: 500 },
    });
    await client().chat.completions.create({ model: 'fast', messages });
    await client().chat.completions.create({ model: 'fast', messages });
    expect((await fetch(`${stack.server.url}/metrics`)).status).toBe(401);
    const response = await fetch(`${stack.server.url}/metrics`, {
      headers: { authorization: 'Bearer client-key' },
    });
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusText(await response.text());
    const value = (family: string, sample: string, labels: Record<string, string>) =>
      families
        .get(family)
        ?.samples.find(
          (item) =>
            item.name === sample &&
            Object.entries(labels).every(([name, text]) => item.labels[name] === text),
        )?.value;
    expect(families.get('switchyard_serve_requests_total')?.type).toBe('counter');
    expect(
      value('switchyard_serve_requests_total', 'switchyard_serve_requests_total', {
        route: '/v1/chat/completions',
        model: 'fast',
        status: '200',
      }),
    ).toBe(2);
    expect(
      value('switchyard_serve_fallbacks_total', 'switchyard_serve_fallbacks_total', {
        model: 'fast',
      }),
    ).toBe(1);
    expect(
      value(
        'switchyard_serve_upstream_attempts_total',
        'switchyard_serve_upstream_attempts_total',
        {
          upstream: 'primary',
          outcome: 'fallback',
        },
      ),
    ).toBe(1);
    expect(
      value(
        'switchyard_serve_upstream_duration_seconds',
        'switchyard_serve_upstream_duration_seconds_count',
        {
          upstream: 'primary',
        },
      ),
    ).toBe(2);
    expect(families.get('switchyard_serve_in_flight')?.type).toBe('gauge');
    // Only the /metrics request itself is in flight.
    expect(value('switchyard_serve_in_flight', 'switchyard_serve_in_flight', {})).toBe(1);
  });
});

describe('request log lines', () => {
  const forged = {
    method: 'POST',
    path: '/v1/chat/completions',
    status: 404,
    stream: false,
    durationMs: 3,
    model: 'x → 200\n2026-01-01T00:00:00.000Z POST /v1/chat/completions admin → 200\u001b[31m red',
    errorCode: 'model_not_found',
  };

  it('a model with a newline or an ANSI escape cannot start or colour a line', () => {
    const line = formatRequestLine(forged, new Date('2026-12-08T01:02:03.004Z'));
    expect(line.split('\n')).toHaveLength(1);
    expect(line).not.toContain('\u001b');
    expect(line.startsWith('2026-12-08T01:02:03.004Z POST /v1/chat/completions x → 200\\n')).toBe(
      true,
    );
  });

  it('--log-format json: one JSON object a line, with the time', () => {
    const line = formatRequestJson(forged, new Date('2026-12-08T01:02:03.004Z'));
    expect(line.split('\n')).toHaveLength(1);
    expect(line).not.toContain('\u001b');
    expect(JSON.parse(line)).toMatchObject({
      time: '2026-12-08T01:02:03.004Z',
      status: 404,
      model: forged.model,
    });
  });
});

type Sample = { name: string; labels: Record<string, string>; value: number };
type Family = { type: string; help: string; samples: Sample[] };

/**
 * A strict reader of the text format: every line is a HELP, a TYPE, or a sample of a family whose
 * TYPE came first; names and label syntax as the format defines them; histograms cumulative,
 * ending in `+Inf` equal to `_count`. Throws on anything else.
 */
function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(
    `^(${name})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)$`,
  );
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = new RegExp(`^# (HELP|TYPE) (${name}) (.*)$`).exec(line);
    if (meta !== null) {
      const [, kind, family = '', rest = ''] = meta;
      const entry = families.get(family) ?? { type: '', help: '', samples: [] };
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(rest);
        expect(entry.type).toBe('');
        entry.type = rest;
      } else entry.help = rest;
      families.set(family, entry);
      continue;
    }
    const match = sampleLine.exec(line);
    if (match === null) throw new Error(`not a Prometheus text line: ${JSON.stringify(line)}`);
    const [, sampleName = '', labelText = '', valueText = ''] = match;
    const value = valueText === '+Inf' ? Number.POSITIVE_INFINITY : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN') throw new Error(`bad value in ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c) =>
        c === 'n' ? '\n' : c,
      );
    }
    const family = [...families.keys()].find(
      (key) => sampleName === key || new RegExp(`^${key}_(bucket|sum|count)$`).test(sampleName),
    );
    if (family === undefined) throw new Error(`sample before its TYPE: ${line}`);
    families.get(family)?.samples.push({ name: sampleName, labels, value });
  }
  for (const [family, entry] of families) {
    if (entry.type !== 'histogram') continue;
    const buckets = entry.samples.filter((sample) => sample.name === `${family}_bucket`);
    const counts = entry.samples.filter((sample) => sample.name === `${family}_count`);
    for (const count of counts) {
      const own = buckets.filter((bucket) =>
        Object.entries(count.labels).every(([label, text]) => bucket.labels[label] === text),
      );
      const values = own.map((bucket) => bucket.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(own.at(-1)?.labels['le']).toBe('+Inf');
      expect(own.at(-1)?.value).toBe(count.value);
    }
  }
  return families;
}
