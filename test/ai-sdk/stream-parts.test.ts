/**
 * Chunks → AI SDK stream parts, as pure steps over an explicit state (the model's streaming is
 * tested end to end over HTTP in ai-sdk.test.ts).
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { acceptChunk, createStreamState, finishStream } from '../../src/ai-sdk/stream-parts.ts';

type Chunk = OpenAI.Chat.ChatCompletionChunk;

function chunk(delta: Record<string, unknown>, extra: Partial<Chunk> = {}): Chunk {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra,
  } as Chunk;
}

const metadata = { switchyard: { upstream: 'u' } };

describe('acceptChunk', () => {
  it('sends the response metadata once, before the first delta', () => {
    const state = createStreamState();
    expect(acceptChunk(state, chunk({ role: 'assistant' }))).toEqual([
      {
        type: 'response-metadata',
        id: 'chatcmpl-1',
        modelId: 'm',
        timestamp: new Date(1_700_000_000_000),
      },
    ]);
    expect(acceptChunk(state, chunk({ role: 'assistant' }))).toEqual([]);
  });

  it('opens reasoning, closes it when text starts, and keeps one text part open', () => {
    const state = createStreamState();
    acceptChunk(state, chunk({}));
    expect(acceptChunk(state, chunk({ reasoning_content: 'hm' }))).toEqual([
      { type: 'reasoning-start', id: 'reasoning-0' },
      { type: 'reasoning-delta', id: 'reasoning-0', delta: 'hm' },
    ]);
    expect(acceptChunk(state, chunk({ content: 'Hi' }))).toEqual([
      { type: 'reasoning-end', id: 'reasoning-0' },
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hi' },
    ]);
    expect(acceptChunk(state, chunk({ content: '!' }))).toEqual([
      { type: 'text-delta', id: 'text-0', delta: '!' },
    ]);
  });

  it('assembles a tool call from its deltas and passes it on at the end', () => {
    const state = createStreamState();
    acceptChunk(state, chunk({}));
    const first = { index: 0, id: 'call_1', function: { name: 'weather', arguments: '{"ci' } };
    expect(acceptChunk(state, chunk({ tool_calls: [first] }))).toEqual([
      { type: 'tool-input-start', id: 'call_1', toolName: 'weather' },
      { type: 'tool-input-delta', id: 'call_1', delta: '{"ci' },
    ]);
    acceptChunk(state, chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":1}' } }] }));
    const finished = {
      ...chunk({}),
      choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
    };
    acceptChunk(state, finished as Chunk);
    expect(finishStream(state, metadata)).toEqual([
      { type: 'tool-input-end', id: 'call_1' },
      { type: 'tool-call', toolCallId: 'call_1', toolName: 'weather', input: '{"city":1}' },
      {
        type: 'finish',
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: createStreamState().usage,
        providerMetadata: metadata,
      },
    ]);
  });
});

describe('finishStream', () => {
  it('closes open parts; after an interruption, drops half-received tool calls', () => {
    const state = createStreamState();
    acceptChunk(state, chunk({ content: 'partial' }));
    acceptChunk(state, chunk({ tool_calls: [{ index: 0, function: { name: 'f' } }] }));
    const parts = finishStream(state, metadata, { unified: 'error', raw: undefined });
    expect(parts.map((part) => part.type)).toEqual(['text-end', 'finish']);
    expect(parts.at(-1)).toMatchObject({ finishReason: { unified: 'error' } });
  });

  it('reports the usage of the last usage chunk', () => {
    const state = createStreamState();
    acceptChunk(state, {
      ...chunk({}),
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    } as Chunk);
    const finish = finishStream(state, metadata).at(-1) as {
      usage: { inputTokens: { total?: number } };
    };
    expect(finish.usage.inputTokens.total).toBe(3);
  });
});
