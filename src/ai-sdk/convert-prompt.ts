/**
 * AI SDK call options → an OpenAI chat completions request body: the prompt as messages, the
 * settings as their OpenAI names, tools and tool choice, structured output as `response_format`.
 * What OpenAI's chat API cannot express is reported as a warning, never dropped in silence.
 */
import type {
  LanguageModelV4CallOptions,
  LanguageModelV4FilePart,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
  SharedV4Warning,
} from '@ai-sdk/provider';
import { UnsupportedFunctionalityError } from '@ai-sdk/provider';

/** An OpenAI chat message, as sent. */
type ChatMessage = Record<string, unknown>;

/** The request body (without `model` and `stream`) and the warnings. */
export type ConvertedCall = {
  body: Record<string, unknown>;
  warnings: SharedV4Warning[];
};

/** The provider options key read for extra body fields. */
export const providerOptionsKey = 'switchyard';

/** Converts call options to a chat completions body. */
export function convertCallOptions(options: LanguageModelV4CallOptions): ConvertedCall {
  const warnings: SharedV4Warning[] = [];
  const body: Record<string, unknown> = { messages: convertPrompt(options.prompt) };
  const set = (name: string, value: unknown) => {
    if (value !== undefined) body[name] = value;
  };
  set('max_tokens', options.maxOutputTokens);
  set('temperature', options.temperature);
  set('top_p', options.topP);
  set('frequency_penalty', options.frequencyPenalty);
  set('presence_penalty', options.presencePenalty);
  set('seed', options.seed);
  if (options.stopSequences !== undefined && options.stopSequences.length > 0)
    body['stop'] = options.stopSequences;
  if (options.topK !== undefined) warnings.push({ type: 'unsupported', feature: 'topK' });
  if (options.responseFormat?.type === 'json')
    body['response_format'] = responseFormat(options.responseFormat);
  const tools = convertTools(options.tools ?? [], warnings);
  if (tools.length > 0) {
    body['tools'] = tools;
    set('tool_choice', toolChoice(options.toolChoice));
  }
  // Extra body fields for the gateway (e.g. `user`, `metadata`), as `providerOptions.switchyard`.
  const extra = options.providerOptions?.[providerOptionsKey];
  if (extra !== undefined) {
    for (const [name, value] of Object.entries(extra)) {
      if (name === 'model' || name === 'stream' || name === 'messages') continue;
      if (value !== undefined) body[name] = value;
    }
  }
  return { body, warnings };
}

type JsonResponseFormat = Extract<
  NonNullable<LanguageModelV4CallOptions['responseFormat']>,
  { type: 'json' }
>;

/** Structured output as `response_format`: a JSON schema when given, else any JSON object. */
export function responseFormat(format: JsonResponseFormat): Record<string, unknown> {
  if (format.schema === undefined) return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: {
      name: format.name ?? 'response',
      schema: format.schema,
      ...(format.description === undefined ? {} : { description: format.description }),
    },
  };
}

/** Function tools in OpenAI's shape; any other tool is left out with a warning. */
export function convertTools(
  tools: NonNullable<LanguageModelV4CallOptions['tools']>,
  warnings: SharedV4Warning[],
): Record<string, unknown>[] {
  const converted: Record<string, unknown>[] = [];
  for (const tool of tools) {
    if (tool.type !== 'function') {
      warnings.push({
        type: 'unsupported',
        feature: `provider-defined tool ${tool.name}`,
        details: 'only function tools pass through an OpenAI-compatible gateway',
      });
      continue;
    }
    converted.push({
      type: 'function',
      function: {
        name: tool.name,
        parameters: tool.inputSchema,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
      },
    });
  }
  return converted;
}

/** The AI SDK's tool choice as OpenAI's `tool_choice` (`undefined` when not set). */
export function toolChoice(choice: LanguageModelV4CallOptions['toolChoice']): unknown {
  if (choice === undefined) return undefined;
  return choice.type === 'tool'
    ? { type: 'function', function: { name: choice.toolName } }
    : choice.type;
}

/** The AI SDK prompt as OpenAI chat messages. */
export function convertPrompt(prompt: LanguageModelV4Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user': {
        const only = message.content[0];
        if (message.content.length === 1 && only?.type === 'text') {
          messages.push({ role: 'user', content: only.text });
          break;
        }
        messages.push({
          role: 'user',
          content: message.content.map((part) =>
            part.type === 'text' ? { type: 'text', text: part.text } : convertFilePart(part),
          ),
        });
        break;
      }
      case 'assistant': {
        let text = '';
        const toolCalls = [];
        for (const part of message.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call') {
            toolCalls.push({
              id: part.toolCallId,
              type: 'function',
              function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) },
            });
          }
          // Reasoning and files of earlier turns are not sent back (OpenAI's chat API has no slot).
        }
        messages.push({
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        });
        break;
      }
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue;
          messages.push({
            role: 'tool',
            tool_call_id: part.toolCallId,
            content: toolOutputText(part.output),
          });
        }
        break;
    }
  }
  return messages;
}

function toolOutputText(output: LanguageModelV4ToolResultOutput): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return output.reason ?? 'Tool execution denied.';
    case 'content':
      return output.value
        .map((part) => (part.type === 'text' ? part.text : ''))
        .filter((text) => text !== '')
        .join('\n');
    default:
      return JSON.stringify(output);
  }
}

function convertFilePart(part: LanguageModelV4FilePart): Record<string, unknown> {
  const data = part.data;
  const url =
    data.type === 'url'
      ? data.url.href
      : data.type === 'data'
        ? `data:${part.mediaType};base64,${typeof data.data === 'string' ? data.data : toBase64(data.data)}`
        : undefined;
  if (data.type === 'text') return { type: 'text', text: data.text };
  if (url !== undefined && part.mediaType.startsWith('image/')) {
    return { type: 'image_url', image_url: { url } };
  }
  if (url !== undefined && part.mediaType === 'application/pdf' && data.type === 'data') {
    return {
      type: 'file',
      file: { filename: part.filename ?? 'document.pdf', file_data: url },
    };
  }
  throw new UnsupportedFunctionalityError({
    functionality: `file part of media type ${part.mediaType} (${data.type}) through an OpenAI-compatible chat API`,
  });
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary);
}
