/**
 * Behaviours pinned through the real router and SDK against a plain local server (the model name
 * picks the answer): a role-only first chunk does not commit a stream; a stream that ends cleanly
 * without a finish reason is an interruption, not a complete answer; 429s count toward health.
 *
 * Chunk shapes follow OpenAI's streaming format: the first chunk carries `delta.role` and empty
 * content, the last one `finish_reason` (https://platform.openai.com/docs/api-reference/chat-streaming);
 * an SSE event with an `error` field becomes an `APIError` in the SDK (openai-node
 * src/core/streaming.ts).
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, parseConfig, type Router, StreamInterruptedError } from '../../src/index.ts';

let server: Server;
let url: string;
const seen: string[] = [];

function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null) {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

function sse(response: ServerResponse, events: unknown[], done = true) {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const event of events) response.write(`data: ${JSON.stringify(event)}\n\n`);
  if (done) response.write('data: [DONE]\n\n');
  response.end();
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (data: Buffer) => {
      body += data.toString();
    });
    request.on('end', () => {
      const model = (JSON.parse(body) as { model: string }).model;
      seen.push(model);
      if (model === 'role-then-error') {
        sse(response, [
          chunk(model, { role: 'assistant', content: '' }),
          { error: { message: 'upstream overloaded', type: 'server_error' } },
        ]);
      } else if (model === 'no-finish') {
        sse(response, [
          chunk(model, { role: 'assistant', content: '' }),
          chunk(model, { content: 'half an' }),
        ]);
      } else if (model === 'limited') {
        response.writeHead(429, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'rate limited', type: 'rate_limit' } }));
      } else if (model === 'plain') {
        response.writeHead(200, { 'content-type': 'application/json' });
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
      } else {
        sse(response, [
          chunk(model, { role: 'assistant', content: '' }),
          chunk(model, { content: `from ${model}` }),
          chunk(model, {}, 'stop'),
        ]);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

function router(models: string, options: Parameters<typeof createRouter>[1] = {}): Router {
  return createRouter(
    parseConfig(
      `version: 1\ngateways:\n  g: { type: openai-compatible, baseURL: "${url}/v1" }\nmodels:\n${models}`,
      { env: {} },
    ),
    options,
  );
}

async function read(stream: AsyncIterable<{ choices: { delta?: { content?: string | null } }[] }>) {
  let text = '';
  for await (const part of stream) text += part.choices[0]?.delta?.content ?? '';
  return text;
}

const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

describe('streams', () => {
  it('a role-only first chunk does not commit: an error after it still falls back', async () => {
    const instance = router(
      '  chat: { targets: ["g:role-then-error", "g:backup"], retry: { attempts: 1 } }\n',
    );
    try {
      const { data, route } = await instance.chat.completions
        .create({ ...ask('chat'), stream: true })
        .withRoute();
      expect(await read(data)).toBe('from backup');
      expect(route.upstream).toBe('g:backup');
      expect(route.attempts[0]?.decision).toBe('fallback');
    } finally {
      await instance.close();
    }
  });

  it('a stream that ends cleanly without a finish reason is an interruption, not an answer', async () => {
    const instance = router('  chat: { targets: ["g:no-finish"], retry: { attempts: 1 } }\n');
    try {
      const stream = await instance.chat.completions.create({ ...ask('chat'), stream: true });
      let error: unknown;
      try {
        await read(stream);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as StreamInterruptedError).partialContent).toBe('half an');
      expect((error as StreamInterruptedError).message).toContain('without a finish reason');
    } finally {
      await instance.close();
    }
  });
});

describe('health', () => {
  it('counts 429s: a rate-limited upstream cools down and is skipped by the next call', async () => {
    const instance = router(
      '  chat: { targets: ["g:limited", "g:plain"], retry: { attempts: 1 } }\n',
      { health: { failureThreshold: 1, cooldownMs: 60_000 } },
    );
    try {
      await instance.chat.completions.create(ask('chat'));
      const { route } = await instance.chat.completions.create(ask('chat')).withRoute();
      expect(route.attempts.map((attempt) => [attempt.upstream, attempt.decision])).toEqual([
        ['g:limited', 'skipped'],
        ['g:plain', 'success'],
      ]);
    } finally {
      await instance.close();
    }
  });
});
