/**
 * The chat completion the emulator answers: planned from the request (`Echo from <model>:` and
 * the last user message, cut at the token limit, tokens counted as words), rendered whole or as
 * stream chunks.
 */
import { isRecord } from './is-record.ts';

/** Token counts reported in `usage`; the emulator counts whitespace-separated words as tokens. */
export type CompletionUsage = {
  /** Words across every message's text content. */
  prompt_tokens: number;
  /** Words in the answer. */
  completion_tokens: number;
  /** `prompt_tokens + completion_tokens`. */
  total_tokens: number;
};

/** Everything needed to render one deterministic answer, as a JSON object or as SSE chunks. */
export type ChatCompletionPlan = {
  /** Completion id shared by the object and every chunk. */
  id: string;
  /** `created`, in Unix seconds. */
  created: number;
  /** The requested model, echoed. */
  model: string;
  /** The answer's words, in order (already truncated to the token limit). */
  words: readonly string[];
  /** `length` when the token limit truncated the answer, else `stop`. */
  finishReason: 'stop' | 'length';
  /** Token counts. */
  usage: CompletionUsage;
  /** Whether the request asked for a stream. */
  stream: boolean;
  /** Whether a streamed answer ends with a usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
};

/** Options for {@link planChatCompletion}. */
export type PlanChatCompletionOptions = {
  /** The parsed request body. */
  body: Readonly<Record<string, unknown>>;
  /** Completion id, e.g. `chatcmpl-emu-000001`. */
  id: string;
  /** `created`, in Unix seconds. */
  created: number;
};

/** The outcome of checking a request body: a plan, or a reason to answer 400. */
export type PlanResult<T> = { ok: true; value: T } | { ok: false; message: string; param: string };

/** The whitespace-separated words of a text: the emulator's tokens. */
export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

/**
 * Text of a message's `content`: a string, or the `text` of its parts joined by spaces (only
 * text parts carry words; chat's `text` and Responses' `input_text` alike).
 */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : ''))
    .join(' ');
}

function readTokenLimit(body: Readonly<Record<string, unknown>>): number | undefined {
  // `max_completion_tokens` is the newer name; when both are sent it is the one OpenAI honours.
  for (const key of ['max_completion_tokens', 'max_tokens']) {
    const value = body[key];
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value));
  }
  return undefined;
}

/**
 * Checks a chat completion request and decides the deterministic answer:
 * `Echo from <model>: <last user message>`, words joined by single spaces, truncated to
 * `max_completion_tokens` / `max_tokens` words.
 */
export function planChatCompletion(
  options: PlanChatCompletionOptions,
): PlanResult<ChatCompletionPlan> {
  const { body } = options;
  const model = body['model'];
  if (typeof model !== 'string' || model === '') {
    return { ok: false, message: 'you must provide a model parameter', param: 'model' };
  }
  const messages = body['messages'];
  if (!Array.isArray(messages)) {
    return { ok: false, message: "'messages' is a required property", param: 'messages' };
  }
  let promptTokens = 0;
  let lastUserText = '';
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const text = textOf(message['content']);
    promptTokens += splitWords(text).length;
    if (message['role'] === 'user') {
      lastUserText = text;
    }
  }
  const allWords = splitWords(`Echo from ${model}: ${lastUserText}`);
  const limit = readTokenLimit(body);
  const words = limit === undefined ? allWords : allWords.slice(0, limit);
  const streamOptions = body['stream_options'];
  return {
    ok: true,
    value: {
      id: options.id,
      created: options.created,
      model,
      words,
      finishReason: words.length < allWords.length ? 'length' : 'stop',
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: words.length,
        total_tokens: promptTokens + words.length,
      },
      stream: body['stream'] === true,
      includeUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    },
  };
}

/** Renders a plan as a non-streaming `chat.completion` object. */
export function createChatCompletion(plan: ChatCompletionPlan): Record<string, unknown> {
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: plan.words.join(' '), refusal: null },
        logprobs: null,
        finish_reason: plan.finishReason,
      },
    ],
    usage: plan.usage,
    system_fingerprint: 'fp_emulator',
  };
}

/** The chunks of a streamed answer, split so faults can cut in after any content chunk. */
export type ChatCompletionChunks = {
  /** The role-only first chunk (`delta: {role: "assistant", content: ""}`), as OpenAI sends. */
  role: Record<string, unknown>;
  /** One chunk per word. At least one chunk, even for no words. */
  content: readonly Record<string, unknown>[];
  /** The empty-delta chunk that carries `finish_reason`. */
  finish: Record<string, unknown>;
  /** The `choices: []` chunk with `usage`, when `stream_options.include_usage` was set. */
  usage: Record<string, unknown> | undefined;
};

/** Renders a plan as `chat.completion.chunk` objects. */
export function createChatCompletionChunks(plan: ChatCompletionPlan): ChatCompletionChunks {
  const chunk = (choices: unknown[]) => ({
    id: plan.id,
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    system_fingerprint: 'fp_emulator',
    choices,
  });
  const choice = (delta: Record<string, unknown>, finishReason: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  // Leading spaces on later words make the concatenated deltas equal the non-streamed content.
  const deltas =
    plan.words.length === 0
      ? ['']
      : plan.words.map((word, index) => (index === 0 ? word : ` ${word}`));
  return {
    role: chunk([choice({ role: 'assistant', content: '' }, null)]),
    content: deltas.map((text) => chunk([choice({ content: text }, null)])),
    finish: chunk([choice({}, plan.finishReason)]),
    usage: plan.includeUsage ? { ...chunk([]), usage: plan.usage } : undefined,
  };
}
