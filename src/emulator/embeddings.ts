/**
 * Embeddings answers: a deterministic vector per input (a hash of the text), `dimensions` and
 * `encoding_format` honoured, bounded so one request cannot ask for unbounded work.
 */
import { createHash } from 'node:crypto';
import type { PlanResult } from './completions.ts';

/** Vector length when the request does not set `dimensions`. */
export const defaultEmbeddingDimensions = 8;

/** Largest accepted `dimensions`; bounds the work one request can ask for. */
export const maxEmbeddingDimensions = 8192;

/** Options for {@link createEmbeddingsResponse}. */
export type CreateEmbeddingsResponseOptions = {
  /** The parsed request body (`model`, `input`, optional `dimensions`, `encoding_format`). */
  body: Readonly<Record<string, unknown>>;
};

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number');
}

// `input` is a string, an array of strings, an array of token ids, or an array of those arrays.
function readInputs(input: unknown): (string | number[])[] | undefined {
  if (typeof input === 'string' || isTokenArray(input)) return [input];
  if (
    Array.isArray(input) &&
    input.length > 0 &&
    input.every((item) => typeof item === 'string' || isTokenArray(item))
  ) {
    return input;
  }
  return undefined;
}

/**
 * A unit-length vector derived from SHA-256 of the input alone, so the same text always gets the
 * same vector whatever its position in the batch. Components are rounded to float32 so the
 * `float` and `base64` encodings carry exactly the same numbers.
 */
function embed(options: { input: string | number[]; dimensions: number }): number[] {
  const seed = JSON.stringify(options.input);
  const raw: number[] = [];
  for (let block = 0; raw.length < options.dimensions; block += 1) {
    const digest = createHash('sha256').update(`${block}:${seed}`).digest();
    for (
      let offset = 0;
      offset + 4 <= digest.length && raw.length < options.dimensions;
      offset += 4
    ) {
      raw.push((digest.readUInt32LE(offset) / 0xffffffff) * 2 - 1);
    }
  }
  const norm = Math.sqrt(raw.reduce((sum, component) => sum + component * component, 0)) || 1;
  return raw.map((component) => Math.fround(component / norm));
}

function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/**
 * Checks an embeddings request and builds the OpenAI `list` response: one deterministic vector
 * per input (default {@link defaultEmbeddingDimensions} components, or `dimensions`), encoded as
 * floats or, when `encoding_format` is `base64` (the `openai` SDK's default), as little-endian
 * float32 bytes.
 */
export function createEmbeddingsResponse(
  options: CreateEmbeddingsResponseOptions,
): PlanResult<Record<string, unknown>> {
  const { body } = options;
  const model = body['model'];
  if (typeof model !== 'string' || model === '') {
    return { ok: false, message: 'you must provide a model parameter', param: 'model' };
  }
  const inputs = readInputs(body['input']);
  if (inputs === undefined) {
    return {
      ok: false,
      message: "'input' must be a string, an array of strings or an array of token arrays",
      param: 'input',
    };
  }
  const dimensions = body['dimensions'] ?? defaultEmbeddingDimensions;
  if (
    typeof dimensions !== 'number' ||
    !Number.isInteger(dimensions) ||
    dimensions < 1 ||
    dimensions > maxEmbeddingDimensions
  ) {
    return {
      ok: false,
      message: `'dimensions' must be an integer from 1 to ${maxEmbeddingDimensions}`,
      param: 'dimensions',
    };
  }
  const base64 = body['encoding_format'] === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    tokens += typeof input === 'string' ? input.split(/\s+/).filter(Boolean).length : input.length;
    const vector = embed({ input, dimensions });
    return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector };
  });
  return {
    ok: true,
    value: {
      object: 'list',
      data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}
