/**
 * Plays a fault on an exchange: one named by the `x-emulator-fault` request header or matched
 * by a rule, answered in the personality of the gateway being imitated.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import {
  type Exchange,
  resetConnection,
  sendJson,
  sendOpenAIError,
  sendText,
  writeHead,
} from './exchange.ts';
import { type Fault, isStreamFault } from './faults.ts';
import { parseFault } from './parse-fault.ts';
import { type Personality, personalityErrorBody } from './personality.ts';

/** Request header carrying a per-request fault as JSON, e.g. `{"type":"status","status":503}`. */
export const faultHeader = 'x-emulator-fault';

/**
 * Reads the `x-emulator-fault` header. Returns `undefined` when absent, the fault when valid,
 * and `'refused'` after answering 400 for an invalid one (or a stream fault on a request that
 * does not stream, which could never play).
 */
export function readHeaderFault(exchange: Exchange): Fault | 'refused' | undefined {
  const header = exchange.entry.headers[faultHeader];
  if (header === undefined) return undefined;
  let problem: string;
  try {
    const fault = parseFault(JSON.parse(header));
    if (!isStreamFault(fault) || exchange.entry.stream) return fault;
    problem = `fault "${fault.type}" needs a streaming request (stream: true)`;
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  sendOpenAIError({
    exchange,
    status: 400,
    message: `Invalid ${faultHeader} header: ${problem}`,
    code: 'invalid_emulator_fault',
  });
  return 'refused';
}

/**
 * Plays a fault that replaces the whole response (`status`, `error-200`, `reset`, `hang`,
 * `redirect`).
 * Returns `false`, having done nothing, for the other faults: `delay` is handled before the
 * answer and stream faults inside it.
 */
export function playResponseFault(options: {
  exchange: Exchange;
  fault: Fault;
  /** Headers the answer would have carried (`cf-aig-*`, credential). */
  headers: OutgoingHttpHeaders;
  /** Whose error bodies to imitate. @default 'openai' */
  personality?: Personality;
}): boolean {
  const { exchange, fault, headers } = options;
  switch (fault.type) {
    case 'status': {
      const statusHeaders = { ...headers, ...fault.headers };
      if (typeof fault.body === 'string') {
        sendText({ exchange, status: fault.status, text: fault.body, headers: statusHeaders });
        return true;
      }
      const body =
        fault.body ??
        personalityErrorBody({
          personality: options.personality ?? 'openai',
          status: fault.status,
          ...(fault.code === undefined ? {} : { code: fault.code }),
          ...(fault.message === undefined ? {} : { message: fault.message }),
        });
      sendJson({ exchange, status: fault.status, body, headers: statusHeaders });
      return true;
    }
    case 'error-200':
      sendJson({
        exchange,
        status: 200,
        body: {
          error: { code: fault.code ?? 502, message: fault.message ?? 'Provider returned error' },
          user_id: 'user_emulated',
        },
        headers,
      });
      return true;
    case 'reset':
      resetConnection(exchange);
      return true;
    case 'hang':
      // Nothing is sent; the connection stays open until the client or `close()` ends it.
      return true;
    case 'redirect':
      writeHead({
        exchange,
        status: fault.status ?? 302,
        headers: { ...headers, location: fault.location, 'content-length': 0 },
      });
      exchange.response.end();
      return true;
    default:
      return false;
  }
}
