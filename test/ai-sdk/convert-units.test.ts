/**
 * The pure conversions of the AI SDK provider: request options from call options, structured
 * output, tools and tool choice, and an assistant message as content.
 */
import { describe, expect, it } from 'vitest';
import { convertTools, responseFormat, toolChoice } from '../../src/ai-sdk/convert-prompt.ts';
import { messageContent } from '../../src/ai-sdk/convert-response.ts';
import { requestOptionsFor } from '../../src/ai-sdk/language-model.ts';

describe('requestOptionsFor', () => {
  it('passes the abort signal and the headers that are set, and nothing when neither is', () => {
    const signal = new AbortController().signal;
    expect(requestOptionsFor({ prompt: [] })).toEqual({});
    expect(
      requestOptionsFor({ prompt: [], abortSignal: signal, headers: { a: '1', b: undefined } }),
    ).toEqual({ signal, headers: { a: '1' } });
    expect(requestOptionsFor({ prompt: [], headers: { b: undefined } })).toEqual({});
  });
});

describe('responseFormat', () => {
  it('is a JSON schema when one is given, else any JSON object', () => {
    expect(responseFormat({ type: 'json' })).toEqual({ type: 'json_object' });
    const schema = { type: 'object' as const };
    expect(responseFormat({ type: 'json', schema, description: 'a thing' })).toEqual({
      type: 'json_schema',
      json_schema: { name: 'response', schema, description: 'a thing' },
    });
  });
});

describe('convertTools and toolChoice', () => {
  it('converts function tools and warns about any other', () => {
    const warnings: unknown[] = [];
    const tools = convertTools(
      [
        { type: 'function', name: 'f', inputSchema: { type: 'object' }, strict: true },
        { type: 'provider', id: 'openai.web_search', name: 'search', args: {} },
      ] as never,
      warnings as never,
    );
    expect(tools).toEqual([
      { type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } },
    ]);
    expect(warnings).toEqual([
      {
        type: 'unsupported',
        feature: 'provider-defined tool search',
        details: 'only function tools pass through an OpenAI-compatible gateway',
      },
    ]);
  });

  it('names a chosen tool as a function, passes the other choices as they are', () => {
    expect(toolChoice(undefined)).toBeUndefined();
    expect(toolChoice({ type: 'auto' })).toBe('auto');
    expect(toolChoice({ type: 'required' })).toBe('required');
    expect(toolChoice({ type: 'tool', toolName: 'f' })).toEqual({
      type: 'function',
      function: { name: 'f' },
    });
  });
});

describe('messageContent', () => {
  it('orders reasoning, text, refusal and function calls, skipping empty strings', () => {
    expect(
      messageContent({
        role: 'assistant',
        content: 'Hi',
        refusal: '',
        reasoning: 'thought',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      }),
    ).toEqual([
      { type: 'reasoning', text: 'thought' },
      { type: 'text', text: 'Hi' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'f', input: '{}' },
    ]);
    expect(messageContent(undefined)).toEqual([]);
  });
});
