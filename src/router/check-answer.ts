/**
 * The check of a parsed 200 body before it is handed over as an answer: a real list of choices
 * (none finished with "error"), of embeddings, or a response's output; an error envelope with a
 * success status becomes the `APIError` it stands for; anything else is unusable.
 */
import { APIError } from 'openai';
import { UnusableResponseError } from './attempt-errors.ts';
import type { AnswerField } from './call.ts';

type Body = Record<string, unknown>;

/**
 * Whether a parsed 200 body is a real answer: a list of choices (none finished with "error"),
 * of embeddings, or a response's output, and no error envelope. The usual body costs two
 * property reads and a look at each choice's `finish_reason`; nothing is allocated.
 */
export function isAnswer(value: unknown, field: AnswerField): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Body;
  const list = body[field];
  // A response's `output` may be empty (an incomplete response); the others may not.
  if (!Array.isArray(list) || (list.length === 0 && field !== 'output') || body['error'] != null) {
    return false;
  }
  if (field !== 'choices') return true;
  const choices = list as ({ finish_reason?: unknown } | null | undefined)[];
  for (let index = 0; index < choices.length; index += 1) {
    if (choices[index]?.finish_reason === 'error') return false;
  }
  return true;
}

/**
 * Checks a parsed 200 body before it is handed over as an answer (see {@link isAnswer}).
 * @returns the error to fail the attempt with, or undefined for a real answer.
 */
export function checkAnswer(options: {
  value: unknown;
  /** `choices` for chat completions, `data` for embeddings, `output` for responses. */
  field: AnswerField;
  response: Response;
}): Error | undefined {
  const { value, field, response } = options;
  if (isAnswer(value, field)) return undefined;
  if (typeof value === 'object' && value !== null) {
    const body = value as Body;
    const list = body[field];
    if (Array.isArray(list) && list.length > 0 && body['error'] == null) {
      // A real list, so a choice finished with "error".
      return new UnusableResponseError(
        `${response.status} the provider failed while generating (finish_reason "error")`,
        { errorClass: 'server', status: response.status, headers: response.headers },
      );
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
