/**
 * The check of a parsed 200 body before it is handed over as an answer: a real list of choices
 * (none finished with "error"), of embeddings, or a response's output; an error envelope with a
 * success status becomes the `APIError` it stands for; anything else is unusable.
 */
import { APIError } from 'openai';
import { UnusableResponseError } from './attempt-errors.ts';

type Body = Record<string, unknown>;

/**
 * Checks a parsed 200 body before it is handed over as an answer. The usual body costs two
 * property reads and a look at each choice's `finish_reason`.
 * @returns the error to fail the attempt with, or undefined for a real answer.
 */
export function checkAnswer(options: {
  value: unknown;
  /** `choices` for chat completions, `data` for embeddings, `output` for responses. */
  field: 'choices' | 'data' | 'output';
  response: Response;
}): Error | undefined {
  const { value, field, response } = options;
  if (typeof value === 'object' && value !== null) {
    const body = value as Body;
    const list = body[field];
    // A response's `output` may be empty (an incomplete response); the others may not.
    if (Array.isArray(list) && (list.length > 0 || field === 'output') && body['error'] == null) {
      if (field === 'choices') {
        const choices = list as ({ finish_reason?: unknown } | null | undefined)[];
        for (let index = 0; index < choices.length; index += 1) {
          if (choices[index]?.finish_reason === 'error') {
            return new UnusableResponseError(
              `${response.status} the provider failed while generating (finish_reason "error")`,
              { errorClass: 'server', status: response.status, headers: response.headers },
            );
          }
        }
      }
      return undefined;
    }
    const error = body['error'];
    if (typeof error === 'object' && error !== null) {
      // An error envelope with a success status (OpenRouter, once processing has started).
      return new APIError(response.status, error, undefined, response.headers);
    }
  }
  return new UnusableResponseError(
    `${response.status} the body is not ${field === 'choices' ? 'a chat completion' : field === 'output' ? 'a response' : 'a list of embeddings'} (${preview(value)})`,
    { errorClass: 'invalid_response', status: response.status, headers: response.headers },
  );
}

function preview(value: unknown): string {
  if (value === undefined) return 'empty body';
  if (typeof value === 'string') {
    const text = value.trim().replace(/\s+/g, ' ');
    return text === ''
      ? 'empty body'
      : `text: ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`;
  }
  if (value === null || typeof value !== 'object') return `JSON ${String(value)}`;
  const keys = Object.keys(value).slice(0, 5);
  return `an object with ${keys.length === 0 ? 'no keys' : `keys ${keys.join(', ')}`}`;
}
