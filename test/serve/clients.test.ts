/**
 * `switchyard serve` with the clients people already have: the `openai` npm client, the AI
 * SDK's OpenAI-compatible provider, `curl`, and Python 3 with its standard library only. Each
 * makes a plain call, a streamed call and a call that falls back (the primary answers 503), over
 * real HTTP to serve, which routes to the emulator.
 *
 * Evidence for the stream-error event (`data: {"error": {...}}` inside a 200 stream, no
 * `[DONE]`): the `openai` Node client raises it as an `APIError`
 * (openai/openai-node src/core/streaming.ts: `if (data && data.error) throw new APIError(...)`),
 * the Python client likewise (openai/openai-python src/openai/_streaming.py: `if is_mapping(data)
 * and data.get("error"): raise APIError`), and the AI SDK's OpenAI-compatible chat model parses
 * chunks as a union with the error shape and emits an `error` part
 * (vercel/ai packages/openai-compatible/src/chat/openai-compatible-chat-language-model.ts).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, streamText } from 'ai';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ServeStack, startServeStack, upstreamKey } from './helpers.ts';

const run = promisify(execFile);
const pythonClient = fileURLToPath(new URL('./fixtures/client.py', import.meta.url));

let stack: ServeStack;
/** The interpreter itself, not a version-manager shim that costs a second per start. */
let pythonPath = 'python3';

beforeAll(async () => {
  stack = await startServeStack();
  const { stdout } = await run('python3', ['-c', 'import sys; print(sys.executable)']);
  pythonPath = stdout.trim() || 'python3';
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => {
  stack.emulator.clearFaults();
  stack.emulator.clearRequests();
});

const failPrimaryOnce = () =>
  stack.emulator.inject({
    match: { model: 'primary-model' },
    times: 1,
    fault: { type: 'status', status: 503 },
  });

describe('the openai npm client', () => {
  const client = () => new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused', maxRetries: 0 });

  it('plain: answer and route headers', async () => {
    const { data, response } = await client()
      .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi there' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo from primary-model: hi there');
    expect(response.headers.get('x-switchyard-upstream')).toBe('primary');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
  });

  it('streamed: every chunk, then the end', async () => {
    const stream = await client().chat.completions.create({
      model: 'fast',
      stream: true,
      messages: [{ role: 'user', content: 'one two three' }],
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Echo from primary-model: one two three');
    expect(finish).toBe('stop');
  });

  it('fallback: the backup serves, the headers say so', async () => {
    failPrimaryOnce();
    const { data, response } = await client()
      .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo from backup-model: x');
    expect(response.headers.get('x-switchyard-upstream')).toBe('backup');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('streamed fallback before the first chunk', async () => {
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'reset' },
    });
    const { data, response } = await client()
      .chat.completions.create({
        model: 'fast',
        stream: true,
        messages: [{ role: 'user', content: 'again' }],
      })
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Echo from backup-model: again');
    expect(response.headers.get('x-switchyard-upstream')).toBe('backup');
  });

  it('a stream cut after its first chunk raises an APIError, never a clean end', async () => {
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'stream-cut', afterChunks: 2 },
    });
    const stream = await client().chat.completions.create({
      model: 'fast',
      stream: true,
      messages: [{ role: 'user', content: 'a b c d e f' }],
    });
    let text = '';
    const failure = await (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).code).toBe('stream_interrupted');
    expect((failure as APIError).message).toMatch(/was interrupted after \d+ chunk/);
    expect(text).toBe('Echo from');
    // No fallback after commit: the backup was never asked.
    expect(stack.emulator.requests.map((request) => request.model)).toEqual(['primary-model']);
  });

  it('embeddings', async () => {
    const { data, response } = await client()
      .embeddings.create({ model: 'embed', input: ['a', 'b'] })
      .withResponse();
    expect(data.data).toHaveLength(2);
    expect(data.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-upstream')).toBe('embedder');
  });

  it('lists the aliases as models', async () => {
    const models = [];
    for await (const model of client().models.list()) models.push(model.id);
    expect(models).toEqual(['fast', 'embed']);
  });

  it('an unknown model is a 404 NotFoundError naming the aliases', async () => {
    const failure = await client()
      .chat.completions.create({ model: 'fats', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    expect((failure as APIError).code).toBe('model_not_found');
    expect((failure as APIError).message).toMatch(/Did you mean "fast"/);
  });

  it('all targets failing is a 502 with the attempt count, and no upstream secret', async () => {
    stack.emulator.inject({ fault: { type: 'status', status: 500 } });
    const failure = (await client()
      .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error)) as APIError;
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failure.status).toBe(502);
    expect(failure.code).toBe('all_targets_failed');
    expect(failure.headers?.get('x-switchyard-attempts')).toBe('2');
    expect(JSON.stringify(failure.error)).not.toContain(upstreamKey);
  });

  it('an upstream 400 stays a 400 (the request itself is wrong)', async () => {
    stack.emulator.inject({
      fault: { type: 'status', status: 400, code: 'context_length_exceeded' },
    });
    const failure = (await client()
      .chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error)) as APIError;
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure.code).toBe('context_length_exceeded');
  });
});

describe('the openai npm client, Responses API (POST /v1/responses)', () => {
  const client = () => new OpenAI({ baseURL: stack.baseURL, apiKey: 'unused', maxRetries: 0 });

  it('plain: the response and the route headers', async () => {
    const { data, response } = await client()
      .responses.create({ model: 'fast', input: 'hi there' })
      .withResponse();
    expect(data.output_text).toBe('Echo from primary-model: hi there');
    expect(data.status).toBe('completed');
    expect(response.headers.get('x-switchyard-upstream')).toBe('primary');
    expect(stack.emulator.requests.map((request) => request.path)).toEqual(['/v1/responses']);
  });

  it('plain fallback: the backup serves, the headers say so', async () => {
    failPrimaryOnce();
    const { data, response } = await client()
      .responses.create({ model: 'fast', input: 'x' })
      .withResponse();
    expect(data.output_text).toBe('Echo from backup-model: x');
    expect(response.headers.get('x-switchyard-upstream')).toBe('backup');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('streamed: named events, the text deltas, then response.completed', async () => {
    const stream = await client().responses.create({
      model: 'fast',
      input: 'one two three',
      stream: true,
    });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('Echo from primary-model: one two three');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
  });

  it('streamed fallback before the first delta', async () => {
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'reset' },
    });
    const { data, response } = await client()
      .responses.create({ model: 'fast', input: 'again', stream: true })
      .withResponse();
    let text = '';
    for await (const event of data) {
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('Echo from backup-model: again');
    expect(response.headers.get('x-switchyard-upstream')).toBe('backup');
  });

  it('a stream cut after its first delta raises an APIError, never a clean end', async () => {
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'stream-cut', afterChunks: 2 },
    });
    const stream = await client().responses.create({
      model: 'fast',
      input: 'a b c d e f',
      stream: true,
    });
    let text = '';
    const failure = await (async () => {
      try {
        for await (const event of stream) {
          if (event.type === 'response.output_text.delta') text += event.delta;
        }
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    // The openai client raises an `event: error` in a Responses stream as an APIError
    // (openai/openai-node src/core/streaming.ts throws an APIError for an SSE event named `error`).
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).message).toMatch(/interrupted/);
    expect(text).toBe('Echo from');
    expect(stack.emulator.requests.map((request) => request.model)).toEqual(['primary-model']);
  });
});

describe("the AI SDK's OpenAI-compatible provider", () => {
  const model = () =>
    createOpenAICompatible({ name: 'serve', baseURL: stack.baseURL, apiKey: 'unused' })('fast');

  it('plain', async () => {
    const result = await generateText({ model: model(), prompt: 'hello sdk', maxRetries: 0 });
    expect(result.text).toBe('Echo from primary-model: hello sdk');
    expect(result.response.headers?.['x-switchyard-upstream']).toBe('primary');
  });

  it('streamed', async () => {
    const result = streamText({ model: model(), prompt: 'streamed sdk', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe('Echo from primary-model: streamed sdk');
    expect(await result.finishReason).toBe('stop');
  });

  it('fallback', async () => {
    failPrimaryOnce();
    const result = await generateText({ model: model(), prompt: 'fall', maxRetries: 0 });
    expect(result.text).toBe('Echo from backup-model: fall');
    expect(result.response.headers?.['x-switchyard-upstream']).toBe('backup');
  });

  it('an unknown model is an APICallError with status 404', async () => {
    const unknown = createOpenAICompatible({ name: 'serve', baseURL: stack.baseURL })('nope');
    const failure = await generateText({ model: unknown, prompt: 'x', maxRetries: 0 }).catch(
      (error: unknown) => error,
    );
    expect(APICallError.isInstance(failure)).toBe(true);
    expect((failure as APICallError).statusCode).toBe(404);
  });
});

describe('curl', () => {
  const curl = (args: string[]) => run('curl', ['-sS', '--max-time', '30', ...args]);
  const post = (body: object, extra: string[] = []) =>
    curl([
      ...extra,
      `${stack.baseURL}/chat/completions`,
      '-H',
      'content-type: application/json',
      '-d',
      JSON.stringify(body),
    ]);

  it('plain', async () => {
    const { stdout } = await post({ model: 'fast', messages: [{ role: 'user', content: 'curl' }] });
    expect(JSON.parse(stdout).choices[0].message.content).toBe('Echo from primary-model: curl');
  });

  it('streamed (-N): data lines, then [DONE]', async () => {
    const { stdout } = await post(
      { model: 'fast', stream: true, messages: [{ role: 'user', content: 'curl stream' }] },
      ['-N'],
    );
    const data = stdout
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6));
    expect(data.at(-1)).toBe('[DONE]');
    const text = data
      .slice(0, -1)
      .map((line) => JSON.parse(line).choices[0].delta.content ?? '')
      .join('');
    expect(text).toBe('Echo from primary-model: curl stream');
  });

  it('fallback, with the route in the response headers (-i)', async () => {
    failPrimaryOnce();
    const { stdout } = await post(
      { model: 'fast', messages: [{ role: 'user', content: 'curl fb' }] },
      ['-i'],
    );
    expect(stdout).toMatch(/^x-switchyard-upstream: backup\r?$/m);
    expect(stdout).toMatch(/^x-switchyard-attempts: 2\r?$/m);
    expect(stdout).toContain('Echo from backup-model: curl fb');
  });

  it('healthz', async () => {
    const { stdout } = await curl([`${stack.server.url}/healthz`]);
    expect(JSON.parse(stdout)).toEqual({ status: 'ok' });
  });
});

describe('Python 3, standard library only', () => {
  const python = async (mode: string, prompt: string) => {
    const { stdout } = await run(pythonPath, [pythonClient, stack.baseURL, mode, 'fast', prompt]);
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  it('plain', async () => {
    expect(await python('plain', 'from python')).toMatchObject({
      status: 200,
      content: 'Echo from primary-model: from python',
      upstream: 'primary',
      attempts: '1',
    });
  });

  it('streamed, read line by line', async () => {
    expect(await python('stream', 'py stream')).toMatchObject({
      status: 200,
      content: 'Echo from primary-model: py stream',
      done: true,
      error: null,
    });
  });

  it('fallback', async () => {
    failPrimaryOnce();
    expect(await python('stream', 'py fb')).toMatchObject({
      content: 'Echo from backup-model: py fb',
      upstream: 'backup',
      attempts: '2',
      done: true,
    });
  });

  it('a stream cut after commit ends with an error event, not [DONE]', async () => {
    stack.emulator.inject({
      match: { model: 'primary-model' },
      times: 1,
      fault: { type: 'stream-cut', afterChunks: 1 },
    });
    const result = await python('stream', 'cut here please');
    expect(result).toMatchObject({ done: false, content: 'Echo' });
    expect(result['error']).toMatchObject({ code: 'stream_interrupted', type: 'server_error' });
  });
});
