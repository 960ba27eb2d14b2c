/**
 * Cloudflare's `cf-aig-metadata` request header, checked as the emulator reads it: a JSON object
 * of at most five string, number or boolean values
 * (https://developers.cloudflare.com/ai-gateway/observability/custom-metadata/).
 */

/** Parsed `cf-aig-metadata`: at most five string, number or boolean values. */
export type CloudflareMetadata = Readonly<Record<string, string | number | boolean>>;

/** Most entries Cloudflare keeps in `cf-aig-metadata`. */
export const maxMetadataEntries = 5;

/**
 * Parses a `cf-aig-metadata` header. Cloudflare documents a JSON object of at most five
 * string/number/boolean values; the emulator rejects anything else (real Cloudflare silently
 * drops extra entries) so a client that builds the header wrongly finds out in tests.
 */
export function parseCloudflareMetadata(
  header: string,
): { ok: true; metadata: CloudflareMetadata } | { ok: false; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return { ok: false, message: 'cf-aig-metadata must be valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, message: 'cf-aig-metadata must be a JSON object' };
  }
  const entries = Object.entries(parsed);
  if (entries.length > maxMetadataEntries) {
    return {
      ok: false,
      message: `cf-aig-metadata has ${entries.length} entries; at most ${maxMetadataEntries} are allowed`,
    };
  }
  const metadata: Record<string, string | number | boolean> = Object.create(null);
  for (const [key, value] of entries) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return {
        ok: false,
        message: `cf-aig-metadata value "${key}" must be a string, number or boolean`,
      };
    }
    metadata[key] = value;
  }
  return { ok: true, metadata };
}
