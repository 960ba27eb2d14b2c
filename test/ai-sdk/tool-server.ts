/**
 * A small OpenAI-compatible chat server for what the emulator does not script: tool calls
 * (plain and streamed) and JSON answers for structured output. Shapes follow OpenAI's chat
 * completions reference (https://platform.openai.com/docs/api-reference/chat/object: a
 * `tool_calls` array of `{id, type: "function", function: {name, arguments}}` with
 * `finish_reason: "tool_calls"`; https://platform.openai.com/docs/api-reference/chat-streaming:
 * streamed tool calls arrive as `delta.tool_calls[{index, id, function: {name, arguments}}]`, the
 * id and name in the first delta of each call and the arguments in pieces).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running tool server. */
export type ToolServer = {
  /** OpenAI base URL, `http://127.0.0.1:<port>/v1`. */
  baseURL: string;
  /** Request bodies received, in order. */
  requests: Record<string, unknown>[];
  close(): Promise<void>;
};

type Message = { role: string; content?: unknown; tool_call_id?: string };

/**
 * Answers: with `response_format`, a JSON object; with tools and no tool result yet, a call of
 * the first tool with `{"city": "Paris"}`; after a tool result, `Tool said: <result>`.
 */
export async function startToolServer(): Promise<ToolServer> {
  const requests: Record<string, unknown>[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    let text = '';
    incoming.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    incoming.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      requests.push(body);
      const messages = body['messages'] as Message[];
      const last = messages.at(-1);
      const tools = body['tools'] as { function: { name: string } }[] | undefined;
      const base = {
        id: `chatcmpl-tools-${requests.length}`,
        created: 1_700_000_000,
        model: String(body['model']),
      };
      let content: string | null = null;
      let toolCall: { id: string; name: string; arguments: string } | undefined;
      if (body['response_format'] !== undefined) {
        content = '{"city":"Paris","temperatureC":21}';
      } else if (tools !== undefined && tools.length > 0 && last?.role !== 'tool') {
        toolCall = {
          id: 'call_weather_1',
          name: tools[0]?.function.name ?? '',
          arguments: '{"city":"Paris"}',
        };
      } else {
        content = `Tool said: ${String(last?.content ?? '')}`;
      }
      const finish = toolCall === undefined ? 'stop' : 'tool_calls';
      const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
      if (body['stream'] !== true) {
        outgoing.writeHead(200, { 'content-type': 'application/json' });
        outgoing.end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content,
                  ...(toolCall === undefined
                    ? {}
                    : {
                        tool_calls: [
                          {
                            id: toolCall.id,
                            type: 'function',
                            function: { name: toolCall.name, arguments: toolCall.arguments },
                          },
                        ],
                      }),
                },
                finish_reason: finish,
              },
            ],
            usage,
          }),
        );
        return;
      }
      outgoing.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (delta: object, finishReason: string | null = null) =>
        outgoing.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
        );
      if (toolCall === undefined) {
        send({ role: 'assistant', content: '' });
        for (const piece of (content ?? '').match(/.{1,8}/g) ?? []) send({ content: piece });
      } else {
        send({
          role: 'assistant',
          tool_calls: [
            {
              index: 0,
              id: toolCall.id,
              type: 'function',
              function: { name: toolCall.name, arguments: '' },
            },
          ],
        });
        send({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] });
        send({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] });
      }
      send({}, finish);
      const options = body['stream_options'] as { include_usage?: boolean } | undefined;
      if (options?.include_usage === true)
        outgoing.write(
          `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
        );
      outgoing.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
