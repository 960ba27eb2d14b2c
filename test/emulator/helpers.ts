import OpenAI from 'openai';
import type { Emulator } from '../../src/emulator/index.ts';

/** Options for {@link createCloudflareClient}. */
export type CreateCloudflareClientOptions = {
  /** The running emulator. */
  emulator: Emulator;
  /** Provider key sent as `Authorization`; `null` removes the header (stored-keys mode). */
  apiKey?: string | null;
  /** Gateway token sent as `cf-aig-authorization: Bearer <token>`. */
  gatewayToken?: string;
  /** Account and gateway path segments. @default 'acct/gw' */
  gateway?: string;
  /** Extra default headers. */
  headers?: Record<string, string>;
  /** SDK timeout in milliseconds. @default 5000 */
  timeout?: number;
};

/** An `openai` client pointed at the emulator's Cloudflare `/compat` base URL, no retries. */
export function createCloudflareClient(options: CreateCloudflareClientOptions): OpenAI {
  const headers: Record<string, string | null> = { ...options.headers };
  if (options.apiKey === null) {
    headers['Authorization'] = null;
  }
  if (options.gatewayToken !== undefined) {
    headers['cf-aig-authorization'] = `Bearer ${options.gatewayToken}`;
  }
  return new OpenAI({
    apiKey: options.apiKey ?? 'sk-placeholder',
    baseURL: `${options.emulator.url}/v1/${options.gateway ?? 'acct/gw'}/compat`,
    maxRetries: 0,
    timeout: options.timeout ?? 5000,
    organization: null,
    project: null,
    defaultHeaders: headers,
    // Malformed-chunk tests make the SDK log parse failures; keep test output readable.
    logLevel: 'off',
  });
}

/** A user message request body. */
export function userMessage(content: string) {
  return [{ role: 'user' as const, content }];
}

/** Reads a whole fetch response body as text, or the error that ended it. */
export async function readAll(response: Response): Promise<{ text: string; error?: unknown }> {
  const decoder = new TextDecoder();
  const reader = response.body?.getReader();
  let text = '';
  try {
    while (reader !== undefined) {
      const { done, value } = await reader.read();
      if (done) {
        break;
      }
      text += decoder.decode(value, { stream: true });
    }
    return { text };
  } catch (error) {
    return { text, error };
  }
}

/** `data:` payloads of an SSE text. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}
