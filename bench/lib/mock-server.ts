/**
 * The zero-delay mock upstream, run in its own process: `node bench/lib/mock-server.ts [--kind lean|emulator]`.
 * Prints `READY <origin>` once listening on 127.0.0.1.
 *
 * `lean` (default) answers OpenAI-shaped chat completions from pre-serialised bodies: no auth,
 * no request log, no per-request allocation beyond reading the body, so that what the clients
 * measure is the clients. Paths:
 * - `.../chat/completions`: a ~1 KB completion, or with `"stream": true` an SSE stream of a role
 *   chunk, {@link streamDeltas} content deltas (each its own write), a finish chunk and `[DONE]`.
 * - `/fail503/...`, `/fail500/...`, `/fail429/...`: that status with an OpenAI error body, at once.
 * - `GET /health`: 200.
 *
 * `emulator` runs the project's gateway emulator (`startEmulator`) instead, to compare ceilings.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

/** Content deltas in a streamed answer. */
export const streamDeltas = 32;

const created = 1_700_000_000;
const answer =
  'Switchyard benchmark answer. '.repeat(20).trim() +
  ' The quick brown fox jumps over the lazy dog.';

export const completionBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 160, total_tokens: 172 },
    system_fingerprint: 'fp_bench',
  }),
);

const chunk = (delta: Record<string, unknown>, finish: string | null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created,
    model: 'gpt-4o-mini',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })}\n\n`;

export const streamFrames: Buffer[] = [
  Buffer.from(chunk({ role: 'assistant', content: '', refusal: null }, null)),
  ...Array.from({ length: streamDeltas }, (_, index) =>
    Buffer.from(chunk({ content: `word${index} ` }, null)),
  ),
  Buffer.from(
    `${chunk({}, 'stop').slice(0, -2)}\n\ndata: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created,
      model: 'gpt-4o-mini',
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: streamDeltas, total_tokens: 44 },
    })}\n\ndata: [DONE]\n\n`,
  ),
];

const errorBody = (status: number) =>
  Buffer.from(
    JSON.stringify({
      error: {
        message: `mock ${status}`,
        type: status === 429 ? 'rate_limit_error' : 'server_error',
        param: null,
        code: null,
      },
    }),
  );

const jsonHeaders = (length: number) => ({
  'content-type': 'application/json',
  'content-length': String(length),
  'x-request-id': 'req_bench',
});

function handle(request: IncomingMessage, response: ServerResponse): void {
  const url = request.url ?? '/';
  if (request.method === 'GET') {
    response.writeHead(url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
    response.end('ok');
    return;
  }
  const pieces: Buffer[] = [];
  request.on('data', (piece: Buffer) => pieces.push(piece));
  request.on('end', () => {
    const fail = /^\/fail(\d{3})\//.exec(url);
    if (fail !== null) {
      const status = Number(fail[1]);
      const body = errorBody(status);
      response.writeHead(status, jsonHeaders(body.length));
      response.end(body);
      return;
    }
    if (!url.endsWith('/chat/completions')) {
      const body = errorBody(404);
      response.writeHead(404, jsonHeaders(body.length));
      response.end(body);
      return;
    }
    const text =
      pieces.length === 1 ? (pieces[0] as Buffer).toString() : Buffer.concat(pieces).toString();
    if (/"stream"\s*:\s*true/.test(text)) {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-request-id': 'req_bench',
      });
      for (const frame of streamFrames) response.write(frame);
      response.end();
      return;
    }
    response.writeHead(200, jsonHeaders(completionBody.length));
    response.end(completionBody);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kind: { type: 'string', default: 'lean' } } });
  if (values.kind === 'emulator') {
    const { startEmulator } = await import('../../src/emulator/index.ts');
    const emulator = await startEmulator({});
    process.stdout.write(`READY ${emulator.url}\n`);
    process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
    return;
  }
  const server = createServer({ keepAliveTimeout: 60_000 }, handle);
  server.maxRequestsPerSocket = 0;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    process.stdout.write(`READY http://127.0.0.1:${address.port}\n`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

if (import.meta.main) await main();
