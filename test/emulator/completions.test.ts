import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator/index.ts';
import { createCloudflareClient, readAll, sseData, userMessage } from './helpers.ts';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ clock: () => 1_234_567 });
});

afterAll(async () => {
  await emulator.close();
});

describe('chat completions', () => {
  it('answers with a deterministic chat.completion echoing model and last user message', async () => {
    const client = createCloudflareClient({ emulator });
    const messages = [
      { role: 'system' as const, content: 'be brief' },
      { role: 'user' as const, content: 'first question' },
      { role: 'assistant' as const, content: 'ok' },
      { role: 'user' as const, content: 'hello   brave\nworld' },
    ];
    const completion = await client.chat.completions.create({
      model: 'groq/llama-3.3-70b-versatile',
      messages,
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      created: 1_234_567,
      model: 'groq/llama-3.3-70b-versatile',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Echo from groq/llama-3.3-70b-versatile: hello brave world',
          },
          finish_reason: 'stop',
        },
      ],
      // 2 + 2 + 1 + 3 prompt words; 6 answer words.
      usage: { prompt_tokens: 8, completion_tokens: 6, total_tokens: 14 },
    });
    expect(completion.id).toMatch(/^chatcmpl-emu-\d+$/);

    const again = await client.chat.completions.create({
      model: 'groq/llama-3.3-70b-versatile',
      messages,
    });
    expect(again.choices).toEqual(completion.choices);
    expect(again.id).not.toBe(completion.id);
  });

  it('reads text parts of array content', async () => {
    const client = createCloudflareClient({ emulator });
    const completion = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'part one' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'text', text: 'part two' },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe(
      'Echo from openai/gpt-4o-mini: part one part two',
    );
  });

  it.each([
    ['max_tokens', { max_tokens: 3 }],
    ['max_completion_tokens', { max_completion_tokens: 3 }],
  ])('truncates to %s words with finish_reason length', async (_name, limit) => {
    const client = createCloudflareClient({ emulator });
    const completion = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: userMessage('one two three four'),
      ...limit,
    });
    expect(completion.choices[0]?.message.content).toBe('Echo from openai/gpt-4o-mini:');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  it('keeps finish_reason stop when the limit is not reached', async () => {
    const client = createCloudflareClient({ emulator });
    const completion = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: userMessage('hi'),
      max_tokens: 4,
    });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('rejects a body without messages with an OpenAI-shaped 400', async () => {
    const response = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-x', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'messages' },
    });
  });

  it('rejects a body that is not JSON', async () => {
    const response = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-x' },
      body: 'not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });
});

describe('streaming', () => {
  it('streams a role-only chunk (as OpenAI does), one chunk per word, then finish_reason', async () => {
    const client = createCloudflareClient({ emulator });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: userMessage('hello world'),
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
    }
    const deltas = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '');
    expect(deltas.slice(0, 6)).toEqual([
      '',
      'Echo',
      ' from',
      ' openai/gpt-4o-mini:',
      ' hello',
      ' world',
    ]);
    expect(deltas.join('')).toBe('Echo from openai/gpt-4o-mini: hello world');
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[1]?.choices[0]?.delta.role).toBeUndefined();
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.some((chunk) => chunk.usage)).toBe(false);
  });

  it('adds a usage chunk when stream_options.include_usage is set', async () => {
    const client = createCloudflareClient({ emulator });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: userMessage('hello world'),
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 2,
    });
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
    }
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
  });

  it('sends text/event-stream ending with data: [DONE]', async () => {
    const response = await fetch(`${emulator.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-x', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: userMessage('a'), stream: true }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { text, error } = await readAll(response);
    expect(error).toBeUndefined();
    const events = sseData(text);
    // The role chunk, 4 words ("Echo from m: a"), the finish chunk, [DONE].
    expect(events).toHaveLength(7);
    expect(events.at(-1)).toBe('[DONE]');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('embeddings', () => {
  it('returns deterministic unit vectors, 8 dimensions by default, decoded by the SDK', async () => {
    const client = createCloudflareClient({ emulator });
    const first = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: ['alpha beta', 'gamma'],
    });
    expect(first.object).toBe('list');
    expect(first.model).toBe('openai/text-embedding-3-small');
    expect(first.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(first.data.map((item) => item.index)).toEqual([0, 1]);
    const [alpha, gamma] = first.data.map((item) => Array.from(item.embedding));
    expect(alpha).toHaveLength(8);
    expect(Math.hypot(...(alpha ?? []))).toBeCloseTo(1, 5);
    expect(alpha).not.toEqual(gamma);

    // Same input, other position, other batch: same vector.
    const second = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: 'gamma',
    });
    expect(Array.from(second.data[0]?.embedding ?? [])).toEqual(gamma);
  });

  it('honours dimensions and encoding_format float, matching the base64 encoding', async () => {
    const client = createCloudflareClient({ emulator });
    const floats = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: 'delta',
      dimensions: 40,
      encoding_format: 'float',
    });
    const vector = floats.data[0]?.embedding;
    expect(Array.isArray(vector)).toBe(true);
    expect(vector).toHaveLength(40);
    const decoded = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: 'delta',
      dimensions: 40,
    });
    expect(Array.from(decoded.data[0]?.embedding ?? [])).toEqual(vector);
  });

  it('rejects a missing input', async () => {
    const response = await fetch(`${emulator.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-x' },
      body: JSON.stringify({ model: 'm' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { param: 'input' } });
  });
});

describe('latency', () => {
  it('delays responses by latencyMs, overridden per model', async () => {
    const slow = await startEmulator({ latencyMs: 1500, modelLatencyMs: { 'openai/fast': 0 } });
    try {
      const client = createCloudflareClient({ emulator: slow });
      let started = performance.now();
      await client.chat.completions.create({ model: 'openai/slow', messages: userMessage('x') });
      expect(performance.now() - started).toBeGreaterThanOrEqual(1490);
      started = performance.now();
      await client.chat.completions.create({ model: 'openai/fast', messages: userMessage('x') });
      // Well under the default latency: the override applied (a wide margin for loaded machines).
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await slow.close();
    }
  });
});
