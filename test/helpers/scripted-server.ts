/**
 * A plain `node:http` server on 127.0.0.1 that answers each model with a scripted response,
 * byte for byte: any status, headers and body (JSON, raw text, raw bytes), an SSE transcript
 * written piece by piece with pauses, or a body cut after the headers. It is not the project's
 * emulator on purpose: it answers the way real gateways were seen to answer, whatever the
 * router's own emulator thinks a gateway does. Requests for a model without a script get a
 * correct answer (a completion, or a stream when the request asked for one).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onTestFinished } from 'vitest';

/** A pause between two pieces of an SSE transcript. */
export type ScriptedPause = { readonly waitMs: number };

/** One scripted response. */
export type ScriptedResponse = {
  /** @default 200 */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON value, sent with `content-type: application/json`. */
  readonly json?: unknown;
  /** A raw body, as text (content type from `headers`). */
  readonly body?: string;
  /** A raw body, base64-encoded (e.g. corrupt gzip). */
  readonly bodyBase64?: string;
  /** An SSE transcript: pieces written in order (each as is: include `data: ` and blank lines). */
  readonly sse?: readonly (string | ScriptedPause)[];
  /**
   * How the response ends: `end` finishes it; `destroy` cuts the connection after the body
   * written so far (undici reports `TypeError: terminated`).
   * @default 'end'
   */
  readonly finish?: 'end' | 'destroy';
};

/** A request the server received. */
export type ScriptedRequest = {
  readonly model: string;
  readonly stream: boolean;
  readonly path: string;
  readonly body: Record<string, unknown>;
};

/** The running server. */
export type ScriptedServer = {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: ScriptedRequest[];
  /** Requests received for one model. */
  requestsFor(model: string): ScriptedRequest[];
  /** Scripts a model: one response for every request, or one per request (the last repeats). */
  script(model: string, responses: ScriptedResponse | readonly ScriptedResponse[]): void;
  close(): Promise<void>;
};

/** Starts a scripted server, closed when the current test finishes. */
export async function startScriptedServer(): Promise<ScriptedServer> {
  const scripts = new Map<string, readonly ScriptedResponse[]>();
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // Not JSON: answered by the default script of model "".
    }
    const model = typeof body['model'] === 'string' ? body['model'] : '';
    const stream = body['stream'] === true;
    const seen = requests.filter((entry) => entry.model === model).length;
    requests.push({ model, stream, path: request.url ?? '', body });
    const script = scripts.get(model);
    const scripted = script?.[Math.min(seen, script.length - 1)];
    await play(response, scripted ?? goodAnswer({ model, stream, n: Number(body['n'] ?? 1) }));
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  onTestFinished(close);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsFor: (model) => requests.filter((entry) => entry.model === model),
    script: (model, responses) => {
      scripts.set(model, Array.isArray(responses) ? responses : [responses as ScriptedResponse]);
    },
    close,
  };
}

async function play(response: ServerResponse, scripted: ScriptedResponse): Promise<void> {
  const headers: Record<string, string> = { ...scripted.headers };
  const lower = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  let body: Buffer | undefined;
  if (scripted.json !== undefined) {
    body = Buffer.from(JSON.stringify(scripted.json));
    if (!lower.has('content-type')) headers['content-type'] = 'application/json';
  } else if (scripted.body !== undefined) {
    body = Buffer.from(scripted.body);
  } else if (scripted.bodyBase64 !== undefined) {
    body = Buffer.from(scripted.bodyBase64, 'base64');
  }
  if (scripted.sse !== undefined && !lower.has('content-type')) {
    headers['content-type'] = 'text/event-stream';
  }
  response.writeHead(scripted.status ?? 200, headers);
  if (scripted.sse !== undefined) {
    response.flushHeaders();
    for (const piece of scripted.sse) {
      if (typeof piece === 'string') response.write(piece);
      else await new Promise((resolve) => setTimeout(resolve, piece.waitMs));
      if (response.destroyed) return;
    }
  } else if (body !== undefined) {
    response.write(body);
  }
  if (scripted.finish === 'destroy') {
    // Let the bytes written so far leave before the cut.
    await new Promise((resolve) => setTimeout(resolve, 20));
    response.socket?.destroy();
    return;
  }
  response.end();
}

/** A correct answer: a completion, or a stream of role, content and finish chunks. */
export function goodAnswer(options: {
  model: string;
  stream: boolean;
  n?: number;
}): ScriptedResponse {
  const { model } = options;
  const n = options.n !== undefined && options.n > 1 ? options.n : 1;
  const indexes = Array.from({ length: n }, (_, index) => index);
  if (!options.stream) {
    return {
      json: {
        id: 'chatcmpl-good',
        object: 'chat.completion',
        created: 1_764_000_000,
        model,
        choices: indexes.map((index) => ({
          index,
          message: { role: 'assistant', content: `answer from ${model}` },
          finish_reason: 'stop',
        })),
        usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
      },
    };
  }
  const chunk = (choices: unknown[]) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-good', object: 'chat.completion.chunk', created: 1_764_000_000, model, choices })}\n\n`;
  return {
    sse: [
      chunk(
        indexes.map((index) => ({
          index,
          delta: { role: 'assistant', content: '' },
          finish_reason: null,
        })),
      ),
      chunk(
        indexes.map((index) => ({
          index,
          delta: { content: `answer from ${model}` },
          finish_reason: null,
        })),
      ),
      chunk(indexes.map((index) => ({ index, delta: {}, finish_reason: 'stop' }))),
      'data: [DONE]\n\n',
    ],
  };
}

/** One `data:` line of an SSE transcript for a chunk object. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}
