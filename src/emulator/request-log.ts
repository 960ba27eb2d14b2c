/**
 * The request log: one entry per request the emulator received (method, path, model, the
 * credential that served it, the fault played, status and how the exchange ended), for tests to
 * assert on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorCredential } from './cloudflare-auth.ts';
import type { CloudflareMetadata } from './cloudflare-metadata.ts';
import type { Fault } from './faults.ts';
import type { EmulatorEndpoint } from './routes.ts';
import type { RouteStep } from './run-route.ts';

/** Which family of route a request hit; `unknown` for paths the emulator does not serve. */
export type EmulatorRouteKind = 'cloudflare' | 'openai-compatible' | 'unknown';

/**
 * How the exchange ended: the full response was sent (`completed`), the emulator reset the
 * connection before any header (`reset`) or cut it mid-stream (`cut`), the client went away
 * first (`client-closed`), or `close()` ended it (`emulator-closed`).
 */
export type RequestOutcome = 'completed' | 'reset' | 'cut' | 'client-closed' | 'emulator-closed';

/** One request as the emulator received it, and what it did with it. */
export type RecordedRequest = {
  /** 1-based arrival number, unique within one emulator (not reset by `clearRequests`). */
  readonly seq: number;
  /** Arrival time from `performance.now()`, in milliseconds. */
  readonly time: number;
  /** HTTP method. */
  readonly method: string;
  /** URL path, without the query. */
  readonly path: string;
  /** Full URL, e.g. `http://127.0.0.1:4010/v1/acct/gw/compat/chat/completions?x=1`. */
  readonly url: string;
  /** Every header as received, names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body: parsed JSON, or the raw text when it is not JSON; `undefined` when empty. */
  readonly body: unknown;
  /** Route family. */
  readonly kind: EmulatorRouteKind;
  /** Which API, for served routes. */
  readonly endpoint?: EmulatorEndpoint;
  /** Cloudflare account id from the path. */
  readonly accountId?: string;
  /** Cloudflare gateway id from the path. */
  readonly gatewayId?: string;
  /** Upstream provider slug (Cloudflare routes; resolved through the route for `dynamic/`). */
  readonly provider?: string;
  /** The body's `model`, when it is a string. */
  readonly model?: string;
  /** Whether the body asked for a stream (`stream: true`). */
  readonly stream: boolean;
  /** Parsed `cf-aig-metadata`, when sent and valid. */
  readonly metadata?: CloudflareMetadata;
  /** The credential that served (or was refused for) the request. */
  readonly credential?: EmulatorCredential;
  /** `cf-aig-cache-status` sent back (Cloudflare routes). */
  readonly cacheStatus?: 'HIT' | 'MISS';
  /** The fault applied, from a rule or the `x-emulator-fault` header. */
  readonly fault?: Fault;
  /** Id of the rule the fault came from; absent for header faults. */
  readonly faultRuleId?: number;
  /** A deployed dynamic route the request ran: its name, version and every model try. */
  readonly route?: {
    readonly name: string;
    readonly versionId: string;
    readonly steps: readonly RouteStep[];
  };
  /** Response status; absent while in flight or when no status line was ever sent. */
  readonly status?: number;
  /** How the exchange ended; absent while in flight. */
  readonly outcome?: RequestOutcome;
  /** Milliseconds from arrival to the end of the exchange; absent while in flight. */
  readonly durationMs?: number;
};

/** The writable form the emulator fills in while it handles a request. */
export type RequestLogEntry = { -readonly [Key in keyof RecordedRequest]: RecordedRequest[Key] };

/**
 * Lower-cased header record; Node already lower-cases names and joins most repeats.
 * `Object.fromEntries` defines own properties, so even a header named `__proto__` is kept as data.
 */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}

/** A sequence number as the fixed-width text used in ids (`000042`), so ids sort as text. */
export function formatSequence(sequence: number): string {
  return String(sequence).padStart(6, '0');
}
