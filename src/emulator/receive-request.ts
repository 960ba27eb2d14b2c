/**
 * One request arriving at the emulator: the control routes and Cloudflare's routes API are
 * answered out of band; every other request is logged on arrival (so the log keeps arrival order
 * and records requests that never get an answer), its body read within the size limit, and
 * handed to the gateway it names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type EmulatorState, handleApiRequest } from './answer-request.ts';
import { controlPrefix, handleControlRequest } from './control-routes.ts';
import { handleRoutesApiRequest } from './dynamic-routes-api.ts';
import { type Exchange, sendOpenAIError } from './exchange.ts';
import { isRecord } from './is-record.ts';
import { BodyTooLargeError, parseBody, readBody } from './read-body.ts';
import { flattenHeaders, type RequestLogEntry } from './request-log.ts';
import { type EmulatorRoute, matchRoute } from './routes.ts';

/** What the server keeps across requests. */
export type Reception = {
  readonly state: EmulatorState;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /** The server's origin, once it listens. */
  origin: string;
  /** The request log, in arrival order. */
  log: RequestLogEntry[];
  /** The last sequence number given. */
  sequence: number;
  /** Whether `close()` was called: exchanges cut from now on ended by the emulator. */
  closing: boolean;
  /** Exchanges still open; `close()` waits for them so their log entries are final. */
  readonly open: Set<Promise<void>>;
};

/** Options of {@link receiveRequest}. */
export type ReceiveRequestOptions = {
  reception: Reception;
  request: IncomingMessage;
  response: ServerResponse;
};

/** Handles one request to the end of its answer. */
export async function receiveRequest(options: ReceiveRequestOptions): Promise<void> {
  const { reception, request, response } = options;
  const time = performance.now();
  const url = new URL(request.url ?? '/', reception.origin);
  const requestHeaders = flattenHeaders(request.headers);
  if (await answerOutOfBand({ ...options, url, headers: requestHeaders })) return;
  const route = matchRoute({ pathname: url.pathname, headers: requestHeaders });
  const entry = logArrival({ reception, request, url, headers: requestHeaders, route, time });
  const controller = new AbortController();
  const exchange: Exchange = { request, response, entry, signal: controller.signal };
  watchClose({ reception, exchange, controller, time });

  let text: string;
  try {
    text = await readBody({ request, limit: reception.maxBodyBytes });
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendOpenAIError({ exchange, status: 413, message: error.message, code: 'request_too_large' });
    }
    return;
  }
  entry.body = parseBody(text);
  if (isRecord(entry.body)) {
    const { model, stream } = entry.body;
    if (typeof model === 'string') entry.model = model;
    entry.stream = stream === true;
  }
  if (route === undefined) {
    sendOpenAIError({
      exchange,
      status: 404,
      message: `Unknown path ${url.pathname}`,
      code: 'not_found',
    });
    return;
  }
  if (request.method !== 'POST') {
    sendOpenAIError({
      exchange,
      status: 405,
      message: `Method ${entry.method} not allowed on ${url.pathname}; use POST`,
      code: 'method_not_allowed',
      headers: { allow: 'POST' },
    });
    return;
  }
  await handleApiRequest({ exchange, route, state: reception.state });
}

/** The control routes and Cloudflare's routes API (configuration, not inference): not logged. */
async function answerOutOfBand(
  options: ReceiveRequestOptions & { url: URL; headers: Record<string, string> },
): Promise<boolean> {
  const { reception, request, response, url } = options;
  if (url.pathname.startsWith(controlPrefix)) {
    await handleControlRequest({
      request,
      response,
      pathname: url.pathname,
      requests: () => reception.log,
      clearRequests: () => {
        reception.log = [];
      },
      faults: reception.state.faults,
      maxBodyBytes: reception.maxBodyBytes,
    });
    return true;
  }
  return handleRoutesApiRequest({
    store: reception.state.routes,
    request,
    response,
    pathname: url.pathname,
    searchParams: url.searchParams,
    headers: options.headers,
    apiTokens: reception.state.options.cloudflare?.apiTokens,
    maxBodyBytes: reception.maxBodyBytes,
  });
}

/** The request's log entry, logged now, before its body is read. */
function logArrival(options: {
  reception: Reception;
  request: IncomingMessage;
  url: URL;
  headers: Record<string, string>;
  route: EmulatorRoute | undefined;
  time: number;
}): RequestLogEntry {
  const { reception, request, url, route } = options;
  reception.sequence += 1;
  const entry: RequestLogEntry = {
    seq: reception.sequence,
    time: options.time,
    method: request.method ?? 'GET',
    path: url.pathname,
    url: url.href,
    headers: options.headers,
    body: undefined,
    kind: route?.kind ?? 'unknown',
    stream: false,
  };
  if (route !== undefined) entry.endpoint = route.endpoint;
  if (route?.kind === 'cloudflare') {
    entry.accountId = route.accountId;
    entry.gatewayId = route.gatewayId;
  }
  reception.log.push(entry);
  return entry;
}

/** When the response closes: the exchange's signal fires and its entry records how it ended. */
function watchClose(options: {
  reception: Reception;
  exchange: Exchange;
  controller: AbortController;
  time: number;
}): void {
  const { reception, exchange, controller } = options;
  const { response, entry } = exchange;
  const closed = new Promise<void>((resolve) => {
    response.on('close', () => {
      controller.abort();
      entry.durationMs = performance.now() - options.time;
      entry.outcome ??= response.writableFinished
        ? 'completed'
        : reception.closing
          ? 'emulator-closed'
          : 'client-closed';
      reception.open.delete(closed);
      resolve();
    });
  });
  reception.open.add(closed);
}
