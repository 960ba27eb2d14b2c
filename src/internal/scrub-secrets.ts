/**
 * Blanks known secret values out of text and error objects. A gateway or proxy may echo the
 * credential it was sent ("Incorrect API key provided: sk-..."); the router knows every secret it
 * sends, so nothing it relays (errors, attempt logs, hook states) carries one.
 */

/** Secrets shorter than this are not searched for: blanking them would garble ordinary text. */
const minimumLength = 4;

/** `text` with every occurrence of a secret replaced by `[redacted]`. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= minimumLength && result.includes(secret))
      result = result.split(secret).join('[redacted]');
  }
  return result;
}

/**
 * Scrubs an error in place: `message`, `stack`, and every string inside an `error` body (the
 * `openai` SDK keeps the parsed response body there). Returns the same error.
 */
export function scrubError<T>(error: T, allSecrets: readonly string[]): T {
  const secrets = allSecrets.filter((secret) => secret.length >= minimumLength);
  if (!(error instanceof Error) || secrets.length === 0) return error;
  for (const key of ['message', 'stack'] as const) {
    const value = error[key];
    if (typeof value === 'string') {
      const scrubbed = scrubText(value, secrets);
      if (scrubbed !== value)
        Object.defineProperty(error, key, { value: scrubbed, writable: true, configurable: true });
    }
  }
  const body = (error as { error?: unknown }).error;
  if (typeof body === 'object' && body !== null) scrubObject(body, secrets, new Set());
  return error;
}

function scrubObject(value: object, secrets: readonly string[], seen: Set<object>): void {
  if (seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string') {
      const scrubbed = scrubText(item, secrets);
      if (scrubbed !== item) (value as Record<string, unknown>)[key] = scrubbed;
    } else if (typeof item === 'object' && item !== null) {
      scrubObject(item, secrets, seen);
    }
  }
}
