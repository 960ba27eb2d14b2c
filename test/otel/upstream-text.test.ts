/**
 * Spans carry no upstream text unless `captureContent` is on: an upstream's 400 that quotes the
 * prompt (a card number) and a 200 whose body is not an answer (its text excerpt) reach the
 * attempt log, for the application, but a span's status says only the class, the status and the
 * gateway's code. With `captureContent: true` the text is there, as asked. Real OpenTelemetry
 * SDK, real `openai` SDK, a loopback server.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AllTargetsFailedError } from '../../src/errors.ts';
import { createOpenTelemetryTracing } from '../../src/otel/index.ts';
import { routerFromYaml, user } from '../helpers/gateway-harness.ts';
import { type ScriptedServer, startScriptedServer } from '../helpers/scripted-server.ts';

const card = '4111 1111 1111 1111';
const answerText = 'the private answer text';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
afterAll(() => provider.shutdown());
beforeEach(() => exporter.reset());

function tracedRouter(server: ScriptedServer, captureContent: boolean) {
  const yaml = [
    'version: 1',
    'gateways:',
    `  gw: { type: openai-compatible, apiKey: local-key, baseURL: "${server.url}/v1" }`,
    `  edge: { type: cloudflare, accountId: acct, gatewayId: gw, baseURL: "${server.url}", auth: { token: t0ken, keys: stored } }`,
    'upstreams:',
    '  html: { gateway: gw, model: html-model }',
    '  quoting: { gateway: gw, model: quoting-model }',
    '  dlp: { gateway: edge, model: openai/dlp-model }',
    'models:',
    '  chain:',
    '    targets: [html, quoting]',
    '    retry: { attempts: 1 }',
    '  guarded: dlp',
  ].join('\n');
  return routerFromYaml(yaml, {
    configEnv: {},
    health: false,
    tracing: createOpenTelemetryTracing({ tracer: provider.getTracer('test'), captureContent }),
  });
}

async function scripted(): Promise<ScriptedServer> {
  const server = await startScriptedServer();
  // A 200 whose body is an HTML page holding answer text: the router's message quotes it.
  server.script('html-model', {
    status: 200,
    headers: { 'content-type': 'text/plain' },
    body: answerText,
  });
  // OpenAI-style 400 that quotes the input.
  server.script('quoting-model', {
    status: 400,
    json: {
      error: {
        message: `Invalid value in messages[0].content: '${card}'`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'invalid_value',
      },
    },
  });
  // Cloudflare DLP, request blocked (AI Gateway docs, "Set up DLP", error codes).
  server.script('openai/dlp-model', {
    status: 424,
    json: {
      success: false,
      result: [],
      messages: [],
      error: [{ code: 2029, message: `Request content blocked due to DLP policy violations` }],
    },
  });
  return server;
}

function statusTexts(spans: readonly ReadableSpan[]): string[] {
  return spans.map((span) => span.status.message ?? '');
}

describe('span status messages', () => {
  it('hold no upstream text without captureContent: class, status and code only', async () => {
    const server = await scripted();
    const router = tracedRouter(server, false);
    const failure = await router.chat.completions
      .create({ model: 'chain', messages: user(`my card is ${card}`) })
      .catch((error: unknown) => error);
    // The application's own attempt log still says what happened.
    expect(failure).toBeInstanceOf(AllTargetsFailedError);
    expect(JSON.stringify((failure as AllTargetsFailedError).attempts)).toContain(card);
    expect(JSON.stringify((failure as AllTargetsFailedError).attempts)).toContain(answerText);

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(3);
    const texts = statusTexts(spans);
    for (const text of texts) {
      expect(text).not.toContain('4111');
      expect(text).not.toContain('private');
    }
    expect(texts).toEqual(
      expect.arrayContaining([
        'invalid_response 200',
        'bad_request 400 code invalid_value',
        'ALL_TARGETS_FAILED: last attempt bad_request 400 code invalid_value',
      ]),
    );
    for (const span of spans)
      expect(JSON.stringify(span.attributes)).not.toMatch(/4111|private answer/);
  });

  it('name a gateway code such as Cloudflare DLP 2029, without its message', async () => {
    const server = await scripted();
    const router = tracedRouter(server, false);
    await router.chat.completions
      .create({ model: 'guarded', messages: user('hi') })
      .catch(() => undefined);
    expect(statusTexts(exporter.getFinishedSpans()).sort()).toEqual([
      'ALL_TARGETS_FAILED: last attempt content_filter 424 code 2029',
      'content_filter 424 code 2029',
    ]);
  });

  it('carry the upstream text with captureContent: true', async () => {
    const server = await scripted();
    const router = tracedRouter(server, true);
    await router.chat.completions
      .create({ model: 'chain', messages: user(`my card is ${card}`) })
      .catch(() => undefined);
    const texts = statusTexts(exporter.getFinishedSpans()).join('\n');
    expect(texts).toContain(card);
    expect(texts).toContain(answerText);
  });
});
