/**
 * The one place message text decides a class: a 400, 413 or 422 whose message says the context
 * is too long is `context_length` (OpenRouter sends nothing else for it; see the OpenRouter
 * fixtures for the 400 seen in the wild). Other statuses, and the same statuses with other text,
 * keep their status class.
 */
import { describe, expect, it } from 'vitest';
import { classifyBody } from '../../src/router/classify-error.ts';

const tooLong =
  "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.";

describe('classifyBody: context length from the message', () => {
  it.each([400, 413, 422])('%i saying the context is too long is context_length', (status) => {
    expect(classifyBody({ status, body: { message: tooLong }, message: 'x' })).toBe(
      'context_length',
    );
    // The SDK's message when the body has no message field of its own.
    expect(classifyBody({ status, body: {}, message: `${status} ${tooLong}` })).toBe(
      'context_length',
    );
  });

  it.each([
    [400, 'bad_request'],
    [413, 'bad_request'],
    [422, 'bad_request'],
  ] as const)('%i with other text keeps its status class (%s)', (status, errorClass) => {
    expect(classifyBody({ status, body: { message: 'Request is too large' }, message: 'x' })).toBe(
      errorClass,
    );
  });

  it('the text does not turn another status into a context error', () => {
    expect(classifyBody({ status: 500, body: { message: tooLong }, message: 'x' })).toBe('server');
    expect(classifyBody({ status: 429, body: { message: tooLong }, message: 'x' })).toBe(
      'rate_limit',
    );
  });
});
