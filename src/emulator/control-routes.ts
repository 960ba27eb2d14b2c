/**
 * The emulator's own control routes under `/__emulator/`: install and clear fault rules, read and
 * clear the request log. Requests to them are not logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createOpenAIErrorBody } from './error-bodies.ts';
import type { FaultRegistry } from './fault-registry.ts';
import { readBody } from './read-body.ts';
import type { RecordedRequest } from './request-log.ts';

/** Path prefix of the emulator's own control routes; requests under it are not logged. */
export const controlPrefix = '/__emulator/';

/** Options for {@link handleControlRequest}. */
export type HandleControlRequestOptions = {
  /** The incoming request. */
  request: IncomingMessage;
  /** Its response. */
  response: ServerResponse;
  /** URL path, starting with {@link controlPrefix}. */
  pathname: string;
  /** The current log. */
  requests: () => readonly RecordedRequest[];
  /** Empties the log. */
  clearRequests: () => void;
  /** The fault rules. */
  faults: FaultRegistry;
  /** Body size limit in bytes. */
  maxBodyBytes: number;
};

/**
 * Control routes for tools running in another process (the CLI, users' CI scripts):
 * `GET /__emulator/requests` (`{requests}`), `DELETE /__emulator/requests`,
 * `POST /__emulator/faults` (a rule as JSON → 201 `{id}`), `DELETE /__emulator/faults`.
 */
export async function handleControlRequest(options: HandleControlRequestOptions): Promise<void> {
  const { request, response, pathname } = options;
  const reply = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  };
  const route = `${request.method} ${pathname}`;
  switch (route) {
    case 'GET /__emulator/requests':
      reply(200, { requests: options.requests() });
      return;
    case 'DELETE /__emulator/requests':
      options.clearRequests();
      reply(200, { cleared: true });
      return;
    case 'POST /__emulator/faults':
      try {
        const text = await readBody({ request, limit: options.maxBodyBytes });
        reply(201, { id: options.faults.add(JSON.parse(text)).id });
      } catch (error) {
        reply(
          400,
          createOpenAIErrorBody({
            message: error instanceof Error ? error.message : String(error),
            code: 'invalid_emulator_fault',
          }),
        );
      }
      return;
    case 'DELETE /__emulator/faults':
      options.faults.clear();
      reply(200, { cleared: true });
      return;
    default:
      reply(
        404,
        createOpenAIErrorBody({
          message: `Unknown emulator control route ${route}`,
          code: 'not_found',
        }),
      );
  }
}
