/**
 * The OpenAI Responses shape (`POST /responses`), deterministic like the chat answers: the same
 * echo, as a `response` object or as typed server-sent events. The event sequence follows
 * OpenAI's streaming reference (https://platform.openai.com/docs/api-reference/responses-streaming):
 * `response.created`, `response.in_progress`, `response.output_item.added`,
 * `response.content_part.added`, one `response.output_text.delta` per word,
 * `response.output_text.done`, `response.content_part.done`, `response.output_item.done`, then
 * `response.completed` (or `response.incomplete` when `max_output_tokens` cut the answer). Each
 * event carries `sequence_number`; the stream ends after the terminal event, with no `[DONE]`.
 */
import { splitWords, textOf } from './completions.ts';
import { isRecord } from './is-record.ts';

/** Everything needed to render one deterministic Responses answer. */
export type ResponsePlan = {
  /** `resp_emu_<seq>`. */
  id: string;
  /** `msg_emu_<seq>`: the one output message. */
  messageId: string;
  /** `created_at`, in Unix seconds. */
  createdAt: number;
  model: string;
  /** The answer's words (already truncated to `max_output_tokens`). */
  words: readonly string[];
  /** Whether `max_output_tokens` truncated the answer. */
  truncated: boolean;
  inputTokens: number;
  stream: boolean;
};

/**
 * Checks a Responses request and decides the answer: `Echo from <model>: <last user text>`,
 * where the user text is `input` itself when it is a string, else the last `role: "user"`
 * item's content. `max_output_tokens` truncates the answer to that many words.
 */
export function planResponse(options: {
  body: Readonly<Record<string, unknown>>;
  id: string;
  created: number;
}): { ok: true; value: ResponsePlan } | { ok: false; message: string; param: string } {
  const { body } = options;
  const model = body['model'];
  if (typeof model !== 'string' || model === '') {
    return { ok: false, message: 'you must provide a model parameter', param: 'model' };
  }
  const input = body['input'];
  let userText = '';
  let inputTokens = 0;
  if (typeof input === 'string') {
    userText = input;
    inputTokens = splitWords(input).length;
  } else if (Array.isArray(input)) {
    for (const item of input) {
      if (!isRecord(item)) continue;
      const text = textOf(item['content']);
      inputTokens += splitWords(text).length;
      if (item['role'] === 'user') userText = text;
    }
  } else {
    return { ok: false, message: "'input' is a required property", param: 'input' };
  }
  if (typeof body['instructions'] === 'string') {
    inputTokens += splitWords(body['instructions']).length;
  }
  const allWords = splitWords(`Echo from ${model}: ${userText}`);
  const limit = body['max_output_tokens'];
  const words =
    typeof limit === 'number' && Number.isFinite(limit)
      ? allWords.slice(0, Math.max(0, Math.floor(limit)))
      : allWords;
  const sequence = options.id.replace(/^resp_emu_/, '');
  return {
    ok: true,
    value: {
      id: options.id,
      messageId: `msg_emu_${sequence}`,
      createdAt: options.created,
      model,
      words,
      truncated: words.length < allWords.length,
      inputTokens,
      stream: body['stream'] === true,
    },
  };
}

function outputMessage(options: { plan: ResponsePlan; text: string; status: string }) {
  const { plan, text, status } = options;
  return {
    type: 'message',
    id: plan.messageId,
    status,
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

/** Renders a plan as a `response` object, as returned by a non-streaming request. */
export function createResponseObject(plan: ResponsePlan): Record<string, unknown> {
  return responseObject({ plan, status: plan.truncated ? 'incomplete' : 'completed' });
}

function responseObject(options: {
  plan: ResponsePlan;
  status: 'in_progress' | 'completed' | 'incomplete';
}): Record<string, unknown> {
  const { plan, status } = options;
  const done = status !== 'in_progress';
  return {
    id: plan.id,
    object: 'response',
    created_at: plan.createdAt,
    status,
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: null,
    model: plan.model,
    output: done ? [outputMessage({ plan, text: plan.words.join(' '), status: 'completed' })] : [],
    parallel_tool_calls: true,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    usage: done
      ? {
          input_tokens: plan.inputTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: plan.words.length,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: plan.inputTokens + plan.words.length,
        }
      : null,
  };
}

/** The events of a streamed answer, split so faults can cut in after any text delta. */
export type ResponseEvents = {
  /** Events before the first text delta (created, in progress, item and part added). */
  opening: readonly Record<string, unknown>[];
  /** One `response.output_text.delta` per word (at least one). */
  deltas: readonly Record<string, unknown>[];
  /** The done events and the terminal `response.completed` / `response.incomplete`. */
  closing: readonly Record<string, unknown>[];
};

/** Renders a plan as Responses stream events, numbered in order. */
export function createResponseEvents(plan: ResponsePlan): ResponseEvents {
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) => ({
    type,
    sequence_number: sequence++,
    ...fields,
  });
  const text = plan.words.join(' ');
  const part = (value: string) => ({ type: 'output_text', text: value, annotations: [] });
  const where = { item_id: plan.messageId, output_index: 0, content_index: 0 };
  const opening = [
    event('response.created', { response: responseObject({ plan, status: 'in_progress' }) }),
    event('response.in_progress', { response: responseObject({ plan, status: 'in_progress' }) }),
    event('response.output_item.added', {
      output_index: 0,
      item: { ...outputMessage({ plan, text: '', status: 'in_progress' }), content: [] },
    }),
    event('response.content_part.added', { ...where, part: part('') }),
  ];
  const pieces =
    plan.words.length === 0
      ? ['']
      : plan.words.map((word, index) => (index === 0 ? word : ` ${word}`));
  const deltas = pieces.map((delta) =>
    event('response.output_text.delta', { ...where, delta, logprobs: [] }),
  );
  const terminal = plan.truncated ? 'response.incomplete' : 'response.completed';
  const closing = [
    event('response.output_text.done', { ...where, text, logprobs: [] }),
    event('response.content_part.done', { ...where, part: part(text) }),
    event('response.output_item.done', {
      output_index: 0,
      item: outputMessage({ plan, text, status: 'completed' }),
    }),
    event(terminal, { response: createResponseObject(plan) }),
  ];
  return { opening, deltas, closing };
}
